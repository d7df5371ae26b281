// STORE=redis: connect-redis over a fail-fast client (server/redis.ts). Every worker, on any
// machine, reads the same sessions. While Redis is down the store says so ('disconnect'), so
// express-session skips the session and the routes answer 503 (fail closed, never "logged out");
// a call already under way when Redis goes down fails and becomes a 503 the same way.
import { RedisStore } from 'connect-redis';
import type { LabRedisClient } from '../redis.js';
import { SESSION_MAX_AGE_MS } from './strategy.js';

export function createRedisSessionStore(client: LabRedisClient): RedisStore {
  const store = new RedisStore({
    client,
    prefix: 'lab:sess:',
    ttl: SESSION_MAX_AGE_MS / 1000, // only used when a session has no cookie expiry; Redis drops the key itself
  });
  client.on('ready', () => store.emit('connect'));
  client.on('end', () => store.emit('disconnect'));
  client.on('error', () => store.emit('disconnect'));
  // Down at start-up: tell express-session once it is listening (it subscribes when the app is built).
  if (!client.isReady) setImmediate(() => !client.isReady && store.emit('disconnect'));
  return store;
}
