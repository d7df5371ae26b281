// The user repository (SQLite) and password hashing (scrypt). Only this file sees password hashes.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Db } from './db.js';
import type { PublicUser } from './protocol.js';

export interface UserRecord extends PublicUser {
  passwordHash: string;
}

/** The store the lab counts as `userDb`: every call is one lookup. */
export interface UserRepository {
  findByUsername(username: string): Promise<UserRecord | undefined>;
  findById(id: number): Promise<UserRecord | undefined>;
}

interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  role: 'user' | 'admin';
}

export function createUserRepository(db: Db): UserRepository {
  const byName = db.prepare<[string], UserRow>('SELECT id, username, password_hash, role FROM users WHERE username = ?');
  const byId = db.prepare<[number], UserRow>('SELECT id, username, password_hash, role FROM users WHERE id = ?');
  const toRecord = (row: UserRow | undefined): UserRecord | undefined =>
    row && { id: row.id, username: row.username, role: row.role, passwordHash: row.password_hash };
  return {
    findByUsername: async (username) => toRecord(byName.get(username)),
    findById: async (id) => toRecord(byId.get(id)),
  };
}

export function toPublicUser(user: PublicUser): PublicUser {
  return { id: user.id, username: user.username, role: user.role };
}

// scrypt with N=2^14, r=8, p=1: about 30 ms here, memory-hard, built into Node.
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Returns `scrypt$N$r$p$salt$hash` (base64url), salted per user. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

// Checked when the username is unknown, so a wrong name takes as long as a wrong password.
const DECOY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = (stored ?? DECOY_HASH).split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return stored !== undefined && timingSafeEqual(actual, expected);
}
