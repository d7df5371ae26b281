// Builds the whole lab — database, stores, counted wrappers, http server, socket.io, app — without
// listening. server/index.ts listens; tests call this with a temp DATA_DIR and listen on port 0.
import cluster from 'node:cluster';
import { createServer, type Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import type session from 'express-session';
import { createAdapter as createClusterAdapter } from '@socket.io/cluster-adapter';
import { createAdapter as createRedisAdapter } from '@socket.io/redis-adapter';
import type { ServerOptions } from 'socket.io';
import { createApp } from './app.js';
import type { Config } from './config.js';
import { createCookiePolicy } from './cookies.js';
import { answerUnparsableRequests } from './http.js';
import { openDatabase, seedDemoUsers, type Db } from './db.js';
import { createRevocationStores } from './jwt/denylist.js';
import { createTokenKey } from './jwt/tokens.js';
import { OutageSessionStore } from './lab/outage.js';
import { CapturedCookies } from './lab/replay.js';
import { createRestartLauncher } from './lab/restart.js';
import { ATTACK_SETTING_DEFAULTS, LabSettingsStore } from './lab/settings.js';
import { createLoginGuard, type LoginGuard, type LoginLimits } from './login.js';
import { attachRealtime } from './realtime.js';
import { closeRedis, connectRedis, type LabRedisClient } from './redis.js';
import { createRedisSessionStore } from './session/redis-store.js';
import { createSessionStore, SqliteSessionStore } from './session/store.js';
import { createBroadcastSink, type LabIo } from './trace/broadcast.js';
import { CountedSessionStore, countPromiseStore } from './trace/counted.js';
import { createUserRepository, type UserRepository } from './users.js';

export interface LabServer {
  httpServer: HttpServer;
  io: LabIo;
  db: Db;
  /** The real stores, before counting: tests spy on these to check the trace's counts. */
  stores: { session: session.Store; users: UserRepository };
  settings: LabSettingsStore;
  /** The cookies kept for "Replay my old cookie" (shared between workers like the settings). */
  captured: CapturedCookies;
  /** Where the attacker page (server/lab/attacker.ts) listens, once index.ts or a test starts it. */
  attacker: { origin: string | null };
  /** The login try counters (per account, per address), shared between workers like the settings. */
  loginLimiters: LoginGuard['limiters'];
  close(): Promise<void>;
}

export interface LabServerOptions {
  loginLimits?: LoginLimits;
  clientDir?: string;
  worker?: number;
}

export async function createLabServer(config: Config, options: LabServerOptions = {}): Promise<LabServer> {
  const db = openDatabase(join(config.dataDir, 'lab.sqlite'));
  await seedDemoUsers(db);
  const redis = config.store === 'redis' ? await connectRedisClients(config.redisUrl) : null;
  const sessionStore = redis ? createRedisSessionStore(redis.sessions) : createSessionStore(config.store as 'sqlite' | 'memory', db);
  const users = createUserRepository(db);
  const counting = { defaultLatencyMs: config.storeLatencyMs };
  const revocation = createRevocationStores(config.store, db, counting, redis?.sessions);
  const attacker: LabServer['attacker'] = { origin: null };
  const login = createLoginGuard(options.loginLimits);
  const policy = createCookiePolicy(config.secureCookies);
  const publicOrigin = config.publicUrl ? new URL(config.publicUrl).origin : null;
  const settings = new LabSettingsStore({ latencyMs: config.storeLatencyMs, deserialize: 'session', ...ATTACK_SETTING_DEFAULTS });

  const captured = new CapturedCookies();

  const httpServer = createServer();
  answerUnparsableRequests(httpServer);
  // Register the app before socket.io: engine.io's attach() keeps the 'request' listeners it finds
  // and calls them only for other paths. Registered after, Express would also answer socket.io's
  // long-polling requests (404), and engine.io's own answer then crashes the process.
  httpServer.on('request', (req, res) => app(req, res)); // `app` is built below, before any request
  const io = attachRealtime(httpServer, policy, publicOrigin, pickAdapter(redis));
  if (options.worker !== undefined) {
    const worker = String(options.worker);
    // which process answered: the cluster tests and curl -i can tell workers apart
    httpServer.prependListener('request', (_req, res) => res.setHeader('X-Worker', worker));
  }
  const broadcaster = createBroadcastSink(io);
  const app = createApp({
    policy,
    sessionStore: new CountedSessionStore(new OutageSessionStore(sessionStore), counting),
    users: countPromiseStore(
      'userDb',
      users,
      {
        findByUsername: { step: 'users.findByUsername', write: false, detail: (_args, user) => ({ found: Boolean(user) }) },
        findById: { step: 'users.findById', write: false, detail: (_args, user) => ({ found: Boolean(user) }) },
      },
      counting,
    ),
    sessionSecret: config.sessionSecret,
    jwtKey: createTokenKey(config.jwtSecret),
    settings,
    sink: broadcaster,
    loads: broadcaster,
    tracing: config.tracing,
    storeKind: config.store,
    publicOrigin,
    clientDir: options.clientDir,
    login,
    worker: options.worker,
    captured,
    attack: {
      denylist: revocation.denylist,
      refreshTokens: revocation.refreshTokens,
      attackerOrigin: () => attacker.origin,
      restart: createRestartLauncher(config),
    },
  });

  return {
    httpServer,
    io,
    db,
    stores: { session: sessionStore, users },
    attacker,
    settings,
    captured,
    loginLimiters: login.limiters,
    async close() {
      broadcaster.close();
      await io.close(); // also closes the http server
      if (sessionStore instanceof SqliteSessionStore) sessionStore.close();
      if (redis) await Promise.all([redis.sessions, redis.pub, redis.sub].map(closeRedis));
      revocation.close();
      db.close();
    },
  };
}

interface RedisClients {
  sessions: LabRedisClient;
  pub: LabRedisClient;
  sub: LabRedisClient;
}

// Three connections: a subscriber cannot run other commands, and the session store's client fails
// fast while the adapter's publisher may queue during an outage (a late trace beats a lost one).
async function connectRedisClients(url: string): Promise<RedisClients> {
  const [sessions, pub, sub] = await Promise.all([
    connectRedis(url, { name: 'sessions', failFast: { commandTimeoutMs: 1500 } }),
    connectRedis(url, { name: 'socket.io publisher' }),
    connectRedis(url, { name: 'socket.io subscriber' }),
  ]);
  return { sessions, pub, sub };
}

/**
 * socket.io's adapter decides who else hears a room broadcast. STORE=redis: Redis pub/sub, which
 * reaches workers on any machine. A cluster worker otherwise: the node:cluster primary relays
 * (server/cluster.ts). A single process: the default in-memory adapter.
 */
function pickAdapter(redis: RedisClients | null): ServerOptions['adapter'] | undefined {
  if (redis) return createRedisAdapter(publishWithoutRejecting(redis.pub), redis.sub);
  if (cluster.isWorker) return createClusterAdapter();
  return undefined;
}

// The Redis adapter publishes and never awaits: a publish in flight when Redis drops would be an
// unhandled rejection. That trace event is lost (the viewer misses one step); nothing else is.
function publishWithoutRejecting(client: LabRedisClient): LabRedisClient {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'publish') {
        return (channel: string, message: string | Buffer) => target.publish(channel, message).catch(() => 0);
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
