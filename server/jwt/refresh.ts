// Short expiry with refresh: a 60-second access JWT plus a rotating refresh token. The refresh token
// is opaque, kept server-side as a SHA-256 hash with a family id, and used once: each refresh
// replaces it with a new one of the same family. A rotated token coming back means two parties hold
// a copy (one of them stole it), so the whole family is revoked. The store is touched only at login,
// refresh and logout — never on an ordinary request, which still verifies the JWT alone.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { CookieOptions } from 'express';
import type { CookiePolicy } from '../cookies.js';
import type { Db } from '../db.js';
import type { PublicUser } from '../protocol.js';
import { deleteExpired } from '../bounded-map.js';

export const ACCESS_TTL_SECONDS = 60;
export const REFRESH_TTL_SECONDS = 24 * 3600;

export interface RefreshRecord {
  hash: string; // SHA-256 of the token: a copy of the table is no use to a thief
  family: string; // every token rotated from the same login
  userId: number;
  expiresAtSec: number;
  usedAtSec: number | null; // set when it was rotated; a second use is a replay
}

/** Small on purpose, so a Redis implementation (issue 7) can sit behind it. */
export interface RefreshTokenStore {
  find(hash: string): Promise<RefreshRecord | undefined>;
  save(record: RefreshRecord): Promise<void>;
  /** Marks `hash` used and saves `next`, as one step; false when `hash` was already used. */
  rotate(hash: string, next: RefreshRecord): Promise<boolean>;
  /** Revokes every token of the family; returns how many there were. */
  revokeFamily(family: string): Promise<number>;
}

const nowSec = () => Math.floor(Date.now() / 1000);

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** A new refresh token and the record to store for it (the token itself is never stored). */
export function newRefreshToken(userId: number, family: string = randomUUID()): { token: string; record: RefreshRecord } {
  const token = randomBytes(32).toString('base64url');
  return {
    token,
    record: { hash: hashRefreshToken(token), family, userId, expiresAtSec: nowSec() + REFRESH_TTL_SECONDS, usedAtSec: null },
  };
}

interface RefreshRow {
  hash: string;
  family: string;
  user_id: number;
  expires_at: number;
  used_at: number | null;
}

/** STORE=sqlite: the `refresh_tokens` table next to `sessions` (migration 3 in server/db.ts). */
export class SqliteRefreshTokenStore implements RefreshTokenStore {
  private readonly select;
  private readonly insert;
  private readonly markUsed;
  private readonly removeFamily;
  private readonly sweepExpired;
  private readonly rotateTx;
  private readonly sweeper: NodeJS.Timeout;

  constructor(db: Db) {
    this.select = db.prepare<[string, number], RefreshRow>('SELECT * FROM refresh_tokens WHERE hash = ? AND expires_at > ?');
    this.insert = db.prepare<[string, string, number, number]>(
      'INSERT INTO refresh_tokens (hash, family, user_id, expires_at) VALUES (?, ?, ?, ?)',
    );
    this.markUsed = db.prepare<[number, string]>('UPDATE refresh_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL');
    this.removeFamily = db.prepare<[string]>('DELETE FROM refresh_tokens WHERE family = ?');
    this.sweepExpired = db.prepare<[number]>('DELETE FROM refresh_tokens WHERE expires_at <= ?');
    this.rotateTx = db.transaction((hash: string, next: RefreshRecord) => {
      if (this.markUsed.run(nowSec(), hash).changes !== 1) return false;
      this.insert.run(next.hash, next.family, next.userId, next.expiresAtSec);
      return true;
    });
    this.sweeper = setInterval(() => this.sweep(), 10 * 60 * 1000).unref();
  }

  async find(hash: string): Promise<RefreshRecord | undefined> {
    const row = this.select.get(hash, nowSec());
    return row && { hash: row.hash, family: row.family, userId: row.user_id, expiresAtSec: row.expires_at, usedAtSec: row.used_at };
  }

  async save(record: RefreshRecord): Promise<void> {
    this.insert.run(record.hash, record.family, record.userId, record.expiresAtSec);
  }

  async rotate(hash: string, next: RefreshRecord): Promise<boolean> {
    return this.rotateTx.immediate(hash, next);
  }

  async revokeFamily(family: string): Promise<number> {
    return this.removeFamily.run(family).changes;
  }

  sweep(): number {
    try {
      return this.sweepExpired.run(nowSec()).changes;
    } catch {
      return 0;
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

/** STORE=memory: a Map by hash, lost on restart. */
export class MemoryRefreshTokenStore implements RefreshTokenStore {
  private readonly records = new Map<string, RefreshRecord>();
  private readonly sweeper = setInterval(() => this.sweep(), 10 * 60 * 1000).unref();

  async find(hash: string): Promise<RefreshRecord | undefined> {
    const record = this.records.get(hash);
    return record && record.expiresAtSec > nowSec() ? { ...record } : undefined;
  }

  async save(record: RefreshRecord): Promise<void> {
    this.records.set(record.hash, { ...record });
  }

  async rotate(hash: string, next: RefreshRecord): Promise<boolean> {
    const old = this.records.get(hash);
    if (!old || old.usedAtSec !== null) return false;
    old.usedAtSec = nowSec();
    this.records.set(next.hash, { ...next });
    return true;
  }

  async revokeFamily(family: string): Promise<number> {
    let removed = 0;
    for (const [hash, record] of this.records) {
      if (record.family === family) {
        this.records.delete(hash);
        removed++;
      }
    }
    return removed;
  }

  sweep(): number {
    const now = nowSec();
    return deleteExpired(this.records, (record) => record.expiresAtSec <= now);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

export function createRefreshTokenStore(kind: 'sqlite' | 'memory', db: Db): SqliteRefreshTokenStore | MemoryRefreshTokenStore {
  return kind === 'memory' ? new MemoryRefreshTokenStore() : new SqliteRefreshTokenStore(db);
}

// The refresh cookie goes only to /api/jwt (refresh and logout read it). `__Host-` demands Path=/,
// so over HTTPS it takes the `__Secure-` prefix instead.
export function refreshCookieName(policy: CookiePolicy): string {
  return policy.base.secure ? '__Secure-refresh' : 'refresh';
}

function refreshCookieOptions(policy: CookiePolicy): CookieOptions {
  return { ...policy.base, path: '/api/jwt' };
}

export function setRefreshCookie(res: Response, policy: CookiePolicy, token: string): void {
  res.cookie(refreshCookieName(policy), token, { ...refreshCookieOptions(policy), maxAge: REFRESH_TTL_SECONDS * 1000 });
}

export function clearRefreshCookie(res: Response, policy: CookiePolicy): void {
  res.clearCookie(refreshCookieName(policy), refreshCookieOptions(policy));
}

export function readRefreshCookie(req: Request, policy: CookiePolicy): string | null {
  const value: unknown = req.cookies?.[refreshCookieName(policy)];
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : null;
}

export type RefreshOutcome =
  | { ok: true; user: PublicUser; token: string; family: string }
  | { ok: false; reason: 'unknown' | 'reused' | 'user-gone'; family?: string };

/**
 * Rotates a refresh token: the old one is marked used and a new one of the same family is saved.
 * A token already used revokes its family. `findUser` reloads the user, so a deleted account or a
 * changed role takes effect at the next refresh, a minute at most.
 */
export async function rotateRefreshToken(
  store: RefreshTokenStore,
  token: string,
  findUser: (id: number) => Promise<PublicUser | undefined>,
): Promise<RefreshOutcome> {
  const hash = hashRefreshToken(token);
  const record = await store.find(hash);
  if (!record) return { ok: false, reason: 'unknown' };
  if (record.usedAtSec !== null) {
    await store.revokeFamily(record.family);
    return { ok: false, reason: 'reused', family: record.family };
  }
  const user = await findUser(record.userId);
  if (!user) {
    await store.revokeFamily(record.family);
    return { ok: false, reason: 'user-gone', family: record.family };
  }
  const next = newRefreshToken(user.id, record.family);
  if (!(await store.rotate(hash, next.record))) {
    // Another request rotated it between our read and write: the same replay, seen late.
    await store.revokeFamily(record.family);
    return { ok: false, reason: 'reused', family: record.family };
  }
  return { ok: true, user, token: next.token, family: record.family };
}

export const REFRESH_FAILURES: Record<'unknown' | 'reused' | 'user-gone' | 'missing', string> = {
  missing: 'No refresh token came with this request; log in with short expiry on to get one.',
  unknown: 'This refresh token is unknown or expired (or its family was revoked); log in again.',
  reused: 'This refresh token was already used once: someone holds a copy, so its whole family is revoked; log in again.',
  'user-gone': 'The account behind this refresh token no longer exists.',
};
