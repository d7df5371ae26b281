// Scaling out (WORKERS > 1): a node:cluster primary that owns the port and hands each incoming
// connection to one of N workers, each a whole lab (server/server.ts) with its own memory.
//
// - Connections are dealt round-robin by @socket.io/sticky, which also keeps a socket.io polling
//   session on the worker that opened it (long-polling is many HTTP requests for one socket;
//   another worker would answer "Session ID unknown"). Its worker side answers every request with
//   `Connection: close`, so each request is a new connection and may land on another worker:
//   that is what makes STORE=memory visibly fail across workers.
// - The primary relays socket.io room broadcasts between workers (@socket.io/cluster-adapter),
//   unless STORE=redis, where Redis carries them (server/server.ts picks the adapter).
// - The primary relays lab settings changes, so a PUT /api/lab on one worker applies on all.
import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { setupPrimary as setupAdapterPrimary } from '@socket.io/cluster-adapter';
import { setupMaster as setupStickyPrimary, setupWorker as setupStickyWorker } from '@socket.io/sticky';
import type { Config } from './config.js';
import { openDatabase, seedDemoUsers } from './db.js';
import type { LabSettingsStore } from './lab/settings.js';
import type { LabSettings } from './protocol.js';
import type { LabServer } from './server.js';

type SettingsMessage =
  | { type: 'lab:settings'; viewerId: string; settings: LabSettings }
  | { type: 'lab:settings:hello' }
  | { type: 'lab:settings:snapshot'; entries: [string, LabSettings][] };

const MAX_VIEWERS = 10_000; // as LabSettingsStore: the relay's copy must not grow with visitors either
const RESPAWN_DELAY_MS = 500;

function isSettingsMessage(message: unknown): message is SettingsMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type.startsWith('lab:settings');
}

/** The primary: prepares the database once, forks the workers, listens, and restarts a worker that dies. */
export async function runPrimary(config: Config): Promise<void> {
  // Migrate and seed before forking: N workers migrating one SQLite file at once would race.
  const db = openDatabase(join(config.dataDir, 'lab.sqlite'));
  await seedDemoUsers(db);
  db.close();

  // Advanced serialization carries Buffers over IPC: sticky forwards the request's first bytes.
  cluster.setupPrimary({ serialization: 'advanced' });
  const httpServer = createServer();
  setupStickyPrimary(httpServer, { loadBalancingMethod: 'round-robin' });
  if (config.store !== 'redis') setupAdapterPrimary();
  relayLabSettings();

  let stopping = false;
  const ready = new Set<number>();
  cluster.on('message', (worker, message: unknown) => {
    if ((message as { type?: unknown } | null)?.type !== 'lab:worker-ready') return;
    ready.add(worker.id);
    if (ready.size === config.workers && !httpServer.listening) {
      httpServer.listen(config.port, config.host, () => {
        console.log(`Sessions vs JWT lab: http://${config.host}:${config.port} (store: ${config.store}, ${config.workers} workers)`);
      });
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker.id);
    if (stopping) return;
    console.error(`Worker ${worker.id} stopped (${signal ?? `exit code ${code}`}); starting another.`);
    setTimeout(() => !stopping && cluster.fork(), RESPAWN_DELAY_MS).unref();
  });
  httpServer.on('error', (err: NodeJS.ErrnoException) => {
    console.error(err.code === 'EADDRINUSE' ? `Port ${config.port} is in use: set PORT to another one.` : `Server error: ${err.message}`);
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(1);
  });

  for (let i = 0; i < config.workers; i++) cluster.fork();

  const stop = () => {
    if (stopping) return;
    stopping = true;
    httpServer.close();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    let left = workers.length;
    if (left === 0) process.exit(0);
    for (const worker of workers) {
      worker.once('exit', () => --left === 0 && process.exit(0));
      worker.process.kill('SIGTERM');
    }
    setTimeout(() => process.exit(1), 5000).unref(); // a worker that will not stop does not hold the shell
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** In a worker: take connections from the primary instead of listening, and share settings changes. */
export function joinCluster(lab: LabServer): void {
  setupStickyWorker(lab.io);
  shareLabSettings(lab.settings);
  process.send?.({ type: 'lab:worker-ready' });
  // The primary is gone (killed, crashed): nobody can send this worker connections any more.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

/** The id of this worker (1, 2, …), or undefined when the lab runs as a single process. */
export function workerId(): number | undefined {
  return cluster.isWorker ? cluster.worker?.id : undefined;
}

// Settings: each worker keeps its own copy, so `get` on the request path stays a local read. An
// update goes worker → primary → every other worker. Requests reach a worker through the primary
// over the same channel, after any update sent before them, so a PUT's effect is visible on the
// very next request, whichever worker takes it.
function shareLabSettings(settings: LabSettingsStore): void {
  settings.onUpdate((viewerId, next) => process.send?.({ type: 'lab:settings', viewerId, settings: next } satisfies SettingsMessage));
  process.on('message', (message: unknown) => {
    if (!isSettingsMessage(message)) return;
    if (message.type === 'lab:settings') settings.apply(message.viewerId, message.settings);
    else if (message.type === 'lab:settings:snapshot') for (const [viewerId, s] of message.entries) settings.apply(viewerId, s);
  });
  // A worker started after a crash asks for what the others already know.
  process.send?.({ type: 'lab:settings:hello' } satisfies SettingsMessage);
}

function relayLabSettings(): void {
  const known = new Map<string, LabSettings>();
  cluster.on('message', (from, message: unknown) => {
    if (!isSettingsMessage(message)) return;
    if (message.type === 'lab:settings:hello') {
      from.send({ type: 'lab:settings:snapshot', entries: [...known] } satisfies SettingsMessage);
      return;
    }
    if (message.type !== 'lab:settings') return;
    known.delete(message.viewerId);
    known.set(message.viewerId, message.settings);
    if (known.size > MAX_VIEWERS) known.delete(known.keys().next().value as string);
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker && worker.id !== from.id && worker.isConnected()) worker.send(message);
    }
  });
}
