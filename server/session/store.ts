// The session stores: an express-session Store over SQLite (the default), or express-session's
// MemoryStore (STORE=memory: sessions vanish on restart and are not shared between workers).
import session from 'express-session';
import type { Db } from '../db.js';

type Callback<T = void> = (err?: unknown, value?: T) => void;

const ONE_DAY_MS = 24 * 3600 * 1000;

// A touch within a minute of the last one changes nothing on disk: a rewrite costs ~5× a read
// (a WAL frame per commit). The call still reaches the store, and the lab still counts it.
const TOUCH_AFTER_MS = 60_000;

/** One row per session: the JSON of the session and the time it expires (ms since epoch). */
export class SqliteSessionStore extends session.Store {
  private readonly select;
  private readonly upsert;
  private readonly extend;
  private readonly remove;
  private readonly sweepExpired;
  private readonly sweeper: NodeJS.Timeout;

  constructor(db: Db) {
    super();
    this.select = db.prepare<[string, number], { sess: string }>('SELECT sess FROM sessions WHERE sid = ? AND expires_at > ?');
    this.upsert = db.prepare<[string, string, number]>(
      'INSERT INTO sessions (sid, sess, expires_at) VALUES (?, ?, ?) ON CONFLICT (sid) DO UPDATE SET sess = excluded.sess, expires_at = excluded.expires_at',
    );
    // Only when the expiry moves by more than TOUCH_AFTER_MS: an unchanged row is not rewritten.
    this.extend = db.prepare<[number, string, number]>('UPDATE sessions SET expires_at = ? WHERE sid = ? AND expires_at < ?');
    this.remove = db.prepare<[string]>('DELETE FROM sessions WHERE sid = ?');
    this.sweepExpired = db.prepare<[number]>('DELETE FROM sessions WHERE expires_at <= ?');
    // Expired rows are never returned; sweep them now and then so the file does not grow.
    this.sweeper = setInterval(() => this.sweep(), 10 * 60 * 1000).unref();
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    this.run(callback, () => {
      const row = this.select.get(sid, Date.now());
      return row ? (JSON.parse(row.sess) as session.SessionData) : null;
    });
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    this.run(callback, () => {
      this.upsert.run(sid, JSON.stringify(data), expiresAt(data));
    });
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    this.run(callback, () => {
      const expires = expiresAt(data);
      this.extend.run(expires, sid, expires - TOUCH_AFTER_MS);
    });
  }

  override destroy(sid: string, callback?: Callback): void {
    this.run(callback, () => {
      this.remove.run(sid);
    });
  }

  sweep(): number {
    try {
      return this.sweepExpired.run(Date.now()).changes;
    } catch {
      return 0; // the database is closed or busy: the next sweep will do it
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  // better-sqlite3 is synchronous; answer on a later tick as express-session expects of a store.
  private run<T>(callback: Callback<T> | undefined, work: () => T): void {
    let value: T;
    try {
      value = work();
    } catch (err) {
      queueMicrotask(() => callback?.(err));
      return;
    }
    queueMicrotask(() => callback?.(null, value));
  }
}

function expiresAt(data: session.SessionData): number {
  const expires = data.cookie?.expires;
  return expires ? new Date(expires).getTime() : Date.now() + ONE_DAY_MS;
}

export function createSessionStore(kind: 'sqlite' | 'memory', db: Db): session.Store {
  return kind === 'memory' ? new session.MemoryStore() : new SqliteSessionStore(db);
}
