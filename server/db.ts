// Opens the lab's SQLite file (WAL, so several workers can share it), runs migrations, seeds demo users.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { hashPassword } from './users.js';

export type Db = Database.Database;

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE users (
     id INTEGER PRIMARY KEY,
     username TEXT NOT NULL UNIQUE COLLATE NOCASE,
     password_hash TEXT NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('user', 'admin'))
   )`,
  `CREATE TABLE sessions (
     sid TEXT PRIMARY KEY,
     sess TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX sessions_expires_at ON sessions (expires_at)`,
  // The JWT denylist and the refresh tokens live in the same store as the sessions (docs/attacks.md).
  `CREATE TABLE revoked_tokens (
     jti TEXT PRIMARY KEY,
     expires_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);
   CREATE TABLE refresh_tokens (
     hash TEXT PRIMARY KEY,
     family TEXT NOT NULL,
     user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     expires_at INTEGER NOT NULL,
     used_at INTEGER
   ) WITHOUT ROWID;
   CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
   CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at)`,
];

export const DEMO_USERS = [
  { username: 'alice', password: 'wonderland', role: 'user' },
  { username: 'bob', password: 'builder', role: 'user' },
  { username: 'admin', password: 'correct-horse', role: 'admin' },
] as const;

export function openDatabase(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL'); // readers never wait for the writer; workers share the file
  db.pragma('synchronous = NORMAL'); // safe with WAL; a power cut may lose the last commit, never corrupt
  db.pragma('busy_timeout = 2000'); // another worker holding the write lock: wait, don't fail
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

/** Seeds the demo users once; a second start (or a second worker) finds them and does nothing. */
export async function seedDemoUsers(db: Db): Promise<void> {
  const insert = db.prepare('INSERT OR IGNORE INTO users (username, password_hash, role) VALUES (?, ?, ?)');
  const exists = db.prepare('SELECT 1 FROM users WHERE username = ?');
  for (const user of DEMO_USERS) {
    if (exists.get(user.username)) continue;
    insert.run(user.username, await hashPassword(user.password), user.role);
  }
}
