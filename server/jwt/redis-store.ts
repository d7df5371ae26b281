// STORE=redis: the JWT denylist and the refresh tokens in the same Redis as the sessions, so a
// token revoked on one worker is refused by every other one. Each key expires with its token
// (EXPIREAT = exp): Redis forgets a revoked jti exactly when the token would have died anyway.
// The client fails fast (server/redis.ts): during an outage these calls reject, the counting
// decorator turns that into 503, and revocation fails closed instead of letting a revoked token in.
import type { LabRedisClient } from '../redis.js';
import type { TokenDenylist } from './denylist.js';
import type { RefreshRecord, RefreshTokenStore } from './refresh.js';

const nowSec = () => Math.floor(Date.now() / 1000);

/** One key per revoked jti: SET … EXAT exp, then EXISTS on every request while the denylist is on. */
export class RedisTokenDenylist implements TokenDenylist {
  constructor(
    private readonly client: LabRedisClient,
    private readonly prefix = 'lab:jwt:revoked:',
  ) {}

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.client.exists(this.prefix + jti)) === 1;
  }

  async revoke(jti: string, expiresAtSec: number): Promise<void> {
    if (expiresAtSec <= nowSec()) return;
    await this.client.set(this.prefix + jti, '1', { expiration: { type: 'EXAT', value: expiresAtSec } });
  }
}

// Marks the old token used and stores the next one in one step, so two workers handed the same
// refresh token at once cannot both rotate it: exactly one gets 1, the other 0 (a replay).
const ROTATE = `
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'usedAtSec') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'usedAtSec', ARGV[1])
redis.call('HSET', KEYS[2], 'family', ARGV[2], 'userId', ARGV[3], 'expiresAtSec', ARGV[4])
redis.call('EXPIREAT', KEYS[2], ARGV[4])
redis.call('SADD', KEYS[3], ARGV[5])
redis.call('EXPIREAT', KEYS[3], ARGV[4])
return 1`;

// Deletes every token of a family and the family's index; returns how many tokens there were.
const REVOKE_FAMILY = `
local removed = 0
for _, hash in ipairs(redis.call('SMEMBERS', KEYS[1])) do removed = removed + redis.call('DEL', ARGV[1] .. hash) end
redis.call('DEL', KEYS[1])
return removed`;

/**
 * A hash per refresh token (by its SHA-256, never the token) that expires with it, and a set per
 * family listing its tokens, which lives as long as the family's newest token.
 */
export class RedisRefreshTokenStore implements RefreshTokenStore {
  constructor(
    private readonly client: LabRedisClient,
    private readonly prefix = 'lab:refresh:',
  ) {}

  async find(hash: string): Promise<RefreshRecord | undefined> {
    const fields = await this.client.hGetAll(this.tokenKey(hash));
    if (!fields.family || !fields.userId || !fields.expiresAtSec) return undefined;
    const record: RefreshRecord = {
      hash,
      family: fields.family,
      userId: Number(fields.userId),
      expiresAtSec: Number(fields.expiresAtSec),
      usedAtSec: fields.usedAtSec ? Number(fields.usedAtSec) : null,
    };
    return record.expiresAtSec > nowSec() ? record : undefined;
  }

  async save(record: RefreshRecord): Promise<void> {
    const key = this.tokenKey(record.hash);
    const family = this.familyKey(record.family);
    await this.client
      .multi()
      .hSet(key, { family: record.family, userId: String(record.userId), expiresAtSec: String(record.expiresAtSec) })
      .expireAt(key, record.expiresAtSec)
      .sAdd(family, record.hash)
      .expireAt(family, record.expiresAtSec)
      .exec();
  }

  async rotate(hash: string, next: RefreshRecord): Promise<boolean> {
    const rotated = await this.client.eval(ROTATE, {
      keys: [this.tokenKey(hash), this.tokenKey(next.hash), this.familyKey(next.family)],
      arguments: [String(nowSec()), next.family, String(next.userId), String(next.expiresAtSec), next.hash],
    });
    return rotated === 1;
  }

  async revokeFamily(family: string): Promise<number> {
    const removed = await this.client.eval(REVOKE_FAMILY, {
      keys: [this.familyKey(family)],
      arguments: [this.prefix + 'token:'],
    });
    return Number(removed);
  }

  private tokenKey(hash: string): string {
    return `${this.prefix}token:${hash}`;
  }

  private familyKey(family: string): string {
    return `${this.prefix}family:${family}`;
  }
}
