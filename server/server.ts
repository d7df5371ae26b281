// Builds the whole lab — database, stores, counted wrappers, http server, socket.io, app — without
// listening. server/index.ts listens; tests call this with a temp DATA_DIR and listen on port 0.
import { createServer, type Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import type session from 'express-session';
import { createApp } from './app.js';
import type { Config } from './config.js';
import { createCookiePolicy } from './cookies.js';
import { openDatabase, seedDemoUsers, type Db } from './db.js';
import { createTokenKey } from './jwt/tokens.js';
import { LabSettingsStore } from './lab/settings.js';
import type { LoginLimits } from './login.js';
import { attachRealtime } from './realtime.js';
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
  if (config.store === 'redis') throw new Error('STORE=redis is not available yet.');
  const sessionStore = createSessionStore(config.store, db);
  const users = createUserRepository(db);
  const counting = { defaultLatencyMs: config.storeLatencyMs };
  const policy = createCookiePolicy(config.secureCookies);
  const publicOrigin = config.publicUrl ? new URL(config.publicUrl).origin : null;
  const settings = new LabSettingsStore({ latencyMs: config.storeLatencyMs, deserialize: 'session' });

  const httpServer = createServer();
  const io = attachRealtime(httpServer, policy, publicOrigin);
  const app = createApp({
    policy,
    sessionStore: new CountedSessionStore(sessionStore, counting),
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
    sink: createBroadcastSink(io),
    storeKind: config.store,
    publicOrigin,
    clientDir: options.clientDir,
    loginLimits: options.loginLimits,
    worker: options.worker,
    isProduction: config.isProduction,
  });
  httpServer.on('request', app);

  return {
    httpServer,
    io,
    db,
    stores: { session: sessionStore, users },
    settings,
    async close() {
      await io.close(); // also closes the http server
      if (sessionStore instanceof SqliteSessionStore) sessionStore.close();
      db.close();
    },
  };
}
