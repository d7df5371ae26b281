// The JWT denylist: the `jti`s of tokens revoked at logout, kept until the token would have expired
// anyway. It lives in the same store as the sessions, and with it on every JWT request reads it —
// the store lookup JWTs were meant to avoid. That trade-off is the lab's central lesson.
import type { StoreKind } from '../config.js';
import type { Db } from '../db.js';
import { withOutage } from '../lab/outage.js';
import { countPromiseStore, type CountOptions } from '../trace/counted.js';
import { createRefreshTokenStore, type RefreshRecord, type RefreshTokenStore } from './refresh.js';
import type { LabRedisClient } from '../redis.js';
import { RedisRefreshTokenStore, RedisTokenDenylist } from './redis-store.js';
import { deleteExpired } from '../bounded-map.js';

/** Small on purpose, so a Redis implementation (issue 7) is a few lines: SET jti EX ttl / EXISTS jti. */
export interface TokenDenylist {
  isRevoked(jti: string): Promise<boolean>;
  /** Remembers `jti` until `expiresAtSec` (the token's exp); after that the token is dead anyway. */
  revoke(jti: string, expiresAtSec: number): Promise<void>;
}

const SWEEP_EVERY_MS = 10 * 60 * 1000;
const nowSec = () => Math.floor(Date.now() / 1000);

/** STORE=sqlite: the `revoked_tokens` table next to `sessions` (migration 3 in server/db.ts). */
export class SqliteTokenDenylist implements TokenDenylist {
  private readonly select;
  private readonly insert;
  private readonly sweepExpired;
  private readonly sweeper: NodeJS.Timeout;

  constructor(db: Db) {
    this.select = db.prepare<[string, number], { one: number }>('SELECT 1 AS one FROM revoked_tokens WHERE jti = ? AND expires_at > ?');
    this.insert = db.prepare<[string, number]>('INSERT OR IGNORE INTO revoked_tokens (jti, expires_at) VALUES (?, ?)');
    this.sweepExpired = db.prepare<[number]>('DELETE FROM revoked_tokens WHERE expires_at <= ?');
    this.sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS).unref();
  }

  async isRevoked(jti: string): Promise<boolean> {
    return this.select.get(jti, nowSec()) !== undefined;
  }

  async revoke(jti: string, expiresAtSec: number): Promise<void> {
    if (expiresAtSec > nowSec()) this.insert.run(jti, expiresAtSec);
  }

  /** Entries whose token has expired protect nothing: drop them. Returns how many went. */
  sweep(): number {
    try {
      return this.sweepExpired.run(nowSec()).changes;
    } catch {
      return 0; // closed or busy: the next sweep will do it
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

/** STORE=memory: a Map of jti → exp, swept like the table. Gone on restart, like MemoryStore's sessions. */
export class MemoryTokenDenylist implements TokenDenylist {
  private readonly entries = new Map<string, number>();
  private readonly sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS).unref();

  async isRevoked(jti: string): Promise<boolean> {
    const exp = this.entries.get(jti);
    return exp !== undefined && exp > nowSec();
  }

  async revoke(jti: string, expiresAtSec: number): Promise<void> {
    if (expiresAtSec > nowSec()) this.entries.set(jti, expiresAtSec);
  }

  sweep(): number {
    const now = nowSec();
    return deleteExpired(this.entries, (exp) => exp <= now);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

export function createTokenDenylist(kind: 'sqlite' | 'memory', db: Db): SqliteTokenDenylist | MemoryTokenDenylist {
  return kind === 'memory' ? new MemoryTokenDenylist() : new SqliteTokenDenylist(db);
}

/**
 * The attack lab's two stores beside the sessions — the denylist and the refresh tokens — picked by
 * STORE, behind the outage switch (server/lab/outage.ts) and counted like the session store. With
 * STORE=redis (`redis` given) they live in Redis beside the sessions, shared by every worker.
 */
export function createRevocationStores(store: StoreKind, db: Db, counting: CountOptions, redis?: LabRedisClient) {
  const kind = store === 'memory' ? 'memory' : 'sqlite';
  const denylist: TokenDenylist & { close?(): void } = redis ? new RedisTokenDenylist(redis) : createTokenDenylist(kind, db);
  const refreshTokens: RefreshTokenStore & { close?(): void } = redis
    ? new RedisRefreshTokenStore(redis)
    : createRefreshTokenStore(kind, db);
  return {
    denylist: countPromiseStore<TokenDenylist>(
      'denylist',
      withOutage(denylist),
      {
        isRevoked: { step: 'jwt.denylist.check', write: false, detail: (_args, revoked) => ({ revoked: revoked === true }) },
        revoke: { step: 'jwt.denylist.revoke', write: true, detail: ([, exp]) => ({ untilExp: Number(exp) }) },
      },
      counting,
    ),
    // A refresh token is a server-side session by another name: its reads and writes count as session-store lookups.
    refreshTokens: countPromiseStore<RefreshTokenStore>(
      'sessionStore',
      withOutage(refreshTokens),
      {
        save: { step: 'jwt.refresh.issue', write: true },
        find: { step: 'jwt.refresh.find', write: false, detail: (_args, r) => ({ found: Boolean(r), used: Boolean((r as RefreshRecord | undefined)?.usedAtSec) }) },
        rotate: { step: 'jwt.refresh.rotate', write: true, detail: (_args, ok) => ({ rotated: ok === true }) },
        revokeFamily: { step: 'jwt.refresh.revoke-family', write: true, detail: (_args, n) => ({ revoked: Number(n) }) },
      },
      counting,
    ),
    close(): void {
      denylist.close?.();
      refreshTokens.close?.();
    },
  };
}
