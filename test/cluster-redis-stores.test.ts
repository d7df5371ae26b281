// The Redis denylist and refresh-token store against a real redis-server, each "worker" with its
// own connection, as two cluster workers would have: a revocation written through one is seen
// through the other, and keys expire with their tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRefreshTokenStore, RedisTokenDenylist } from '../server/jwt/redis-store.js';
import { newRefreshToken } from '../server/jwt/refresh.js';
import { closeRedis, connectRedis, type LabRedisClient } from '../server/redis.js';
import { redisAvailable, startRedis, type TestRedis } from './redis.js';

const nowSec = () => Math.floor(Date.now() / 1000);

describe.skipIf(!redisAvailable())('Redis token stores shared by two workers', () => {
  let redis: TestRedis;
  let worker1: LabRedisClient;
  let worker2: LabRedisClient;
  beforeAll(async () => {
    redis = await startRedis();
    worker1 = await connectRedis(redis.url, { name: 'worker 1', failFast: { commandTimeoutMs: 1500 } });
    worker2 = await connectRedis(redis.url, { name: 'worker 2', failFast: { commandTimeoutMs: 1500 } });
  });
  afterAll(async () => {
    await Promise.all([worker1, worker2].filter(Boolean).map(closeRedis));
    await redis?.stop();
  });

  describe('RedisTokenDenylist', () => {
    it('refuses on worker 2 a jti revoked on worker 1, and keeps it exactly until the token’s exp', async () => {
      const exp = nowSec() + 900;
      await new RedisTokenDenylist(worker1).revoke('jti-a', exp);
      expect(await new RedisTokenDenylist(worker2).isRevoked('jti-a')).toBe(true);
      expect(await new RedisTokenDenylist(worker2).isRevoked('jti-b')).toBe(false);
      expect(await worker2.expireTime('lab:jwt:revoked:jti-a')).toBe(exp);
    });

    it('does not store a jti whose token has already expired', async () => {
      await new RedisTokenDenylist(worker1).revoke('jti-old', nowSec() - 1);
      expect(await worker1.exists('lab:jwt:revoked:jti-old')).toBe(0);
    });

    it('rejects while Redis is unreachable, so the request fails closed instead of letting a revoked token in', async () => {
      const client = await connectRedis('redis://127.0.0.1:1', { name: 'nowhere', failFast: { commandTimeoutMs: 500 } }, 200);
      try {
        await expect(new RedisTokenDenylist(client).isRevoked('jti-a')).rejects.toThrow();
      } finally {
        await closeRedis(client);
      }
    });
  });

  describe('RedisRefreshTokenStore', () => {
    it('rotates a token once: the second rotation of the same token, from another worker, is refused', async () => {
      const first = newRefreshToken(1);
      await new RedisRefreshTokenStore(worker1).save(first.record);
      expect(await new RedisRefreshTokenStore(worker2).find(first.record.hash)).toEqual(first.record);

      const next = newRefreshToken(1, first.record.family);
      const again = newRefreshToken(1, first.record.family);
      const results = await Promise.all([
        new RedisRefreshTokenStore(worker1).rotate(first.record.hash, next.record),
        new RedisRefreshTokenStore(worker2).rotate(first.record.hash, again.record),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await new RedisRefreshTokenStore(worker2).find(first.record.hash))?.usedAtSec).toBeTypeOf('number');
    });

    it('refuses to rotate a token it never saw', async () => {
      const stranger = newRefreshToken(2);
      expect(await new RedisRefreshTokenStore(worker1).rotate('no-such-hash', stranger.record)).toBe(false);
      expect(await new RedisRefreshTokenStore(worker1).find(stranger.record.hash)).toBeUndefined();
    });

    it('revokes a whole family on worker 2 that worker 1 built, and lets the keys expire with the tokens', async () => {
      const store1 = new RedisRefreshTokenStore(worker1);
      const first = newRefreshToken(3);
      await store1.save(first.record);
      const second = newRefreshToken(3, first.record.family);
      expect(await store1.rotate(first.record.hash, second.record)).toBe(true);
      expect(await worker1.expireTime(`lab:refresh:token:${second.record.hash}`)).toBe(second.record.expiresAtSec);

      expect(await new RedisRefreshTokenStore(worker2).revokeFamily(first.record.family)).toBe(2);
      expect(await store1.find(first.record.hash)).toBeUndefined();
      expect(await store1.find(second.record.hash)).toBeUndefined();
      expect(await worker1.exists(`lab:refresh:family:${first.record.family}`)).toBe(0);
    });
  });
});
