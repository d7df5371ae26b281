// Scaling out (WORKERS > 1): a node:cluster primary that owns the port and hands each incoming
// connection to one of N workers, each a whole lab (server/server.ts) with its own memory.
//
// - Connections are dealt round-robin by @socket.io/sticky, which also keeps a socket.io polling
//   session on the worker that opened it (long-polling is many HTTP requests for one socket;
//   another worker would answer "Session ID unknown"). Its worker side answers every request with
//   `Connection: close`, so each request is a new connection and may land on another worker:
//   that is what makes STORE=memory visibly fail across workers.
//   The worker tells the primary which worker owns a new socket.io session *before* it answers the
//   handshake (bindBeforeHandshake): sticky's own notice goes out after the answer, and a client
//   fast enough to send its next poll first was dealt to the other worker ("Session ID unknown").
// - The primary relays socket.io room broadcasts between workers (@socket.io/cluster-adapter),
//   unless STORE=redis, where Redis carries them (server/server.ts picks the adapter).
// - The primary relays each viewer's lab settings, the cookie captured for "Replay my old
//   cookie" and the login try counters, so a PUT /api/lab, a logout or a failed login on one
//   worker counts on all.
// - The primary serves the attacker page of the CSRF and XSS scenarios (one for the cluster) and
//   tells every worker where it is.
import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setupPrimary as setupAdapterPrimary } from '@socket.io/cluster-adapter';
import { setupMaster as setupStickyPrimary, setupWorker as setupStickyWorker } from '@socket.io/sticky';
import type { Config } from './config.js';
import { announceAttacker } from './lab/attacker.js';
import { newInternalToken } from './lab/internal.js';
import { openDatabase, seedDemoUsers } from './db.js';
import type { LabServer } from './server.js';

/** State each worker keeps in memory and the cluster keeps in step, by key (a viewer, an account, an address). */
interface Replicated<T> {
  onUpdate(listener: (key: string, value: T) => void): void;
  apply(key: string, value: T): void;
}

type ShareMessage =
  | { type: 'lab:share'; channel: string; viewerId: string; value: unknown }
  | { type: 'lab:share:hello' }
  | { type: 'lab:share:snapshot'; entries: [string, string, unknown][] };

type AttackerMessage = { type: 'lab:attacker'; origin: string };

type BindMessage = { type: 'lab:sticky:bind'; sid: string } | { type: 'lab:sticky:bound'; sid: string };

const MAX_ENTRIES = 40_000; // four channels of 10,000 keys, as the workers' own maps: the relay's copy must not grow with visitors either
const RESPAWN_DELAY_MS = 500;
const BIND_TIMEOUT_MS = 2000; // a primary that does not answer must not hold handshakes forever

function isShareMessage(message: unknown): message is ShareMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'lab:share' || type === 'lab:share:hello' || type === 'lab:share:snapshot';
}

/** The primary: prepares the database once, forks the workers, listens, and restarts a worker that dies. */
export async function runPrimary(config: Config): Promise<void> {
  // Migrate and seed before forking: N workers migrating one SQLite file at once would race.
  const db = openDatabase(join(config.dataDir, 'lab.sqlite'));
  await seedDemoUsers(db);
  db.close();

  // Advanced serialization carries Buffers over IPC: sticky forwards the request's first bytes.
  cluster.setupPrimary({ serialization: 'advanced' });
  const workerEnv = newInternalToken(); // the same on every worker, restarted ones too: see server/lab/internal.ts
  const httpServer = createServer();
  setupStickyPrimary(httpServer, { loadBalancingMethod: 'round-robin' });
  if (config.store !== 'redis') setupAdapterPrimary();
  relayViewerState();
  confirmBindings();

  let stopping = false;
  let attackerOrigin: string | null = null; // the attacker page runs here, once for all workers
  const ready = new Set<number>();
  cluster.on('message', (worker, message: unknown) => {
    if ((message as { type?: unknown } | null)?.type !== 'lab:worker-ready') return;
    ready.add(worker.id);
    if (attackerOrigin) worker.send({ type: 'lab:attacker', origin: attackerOrigin } satisfies AttackerMessage); // a restarted worker
    if (ready.size === config.workers && !httpServer.listening) {
      httpServer.listen(config.port, config.host, () => {
        const { port } = httpServer.address() as AddressInfo;
        const origin = `http://${config.host}:${port}`;
        console.log(`Sessions vs JWT lab: ${origin} (store: ${config.store}, ${config.workers} workers)`);
        void announceAttacker(origin, config.attackerPort).then((attacker) => {
          attackerOrigin = attacker;
          if (!attacker) return;
          for (const w of Object.values(cluster.workers ?? {})) {
            if (w?.isConnected()) w.send({ type: 'lab:attacker', origin: attacker } satisfies AttackerMessage);
          }
        });
      });
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker.id);
    if (stopping) return;
    console.error(`Worker ${worker.id} stopped (${signal ?? `exit code ${code}`}); starting another.`);
    setTimeout(() => !stopping && cluster.fork(workerEnv), RESPAWN_DELAY_MS).unref();
  });
  httpServer.on('error', (err: NodeJS.ErrnoException) => {
    console.error(err.code === 'EADDRINUSE' ? `Port ${config.port} is in use: set PORT to another one.` : `Server error: ${err.message}`);
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(1);
  });

  for (let i = 0; i < config.workers; i++) cluster.fork(workerEnv);

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

/** In a worker: take connections from the primary instead of listening, and share per-viewer state. */
export function joinCluster(lab: LabServer): void {
  setupStickyWorker(lab.io);
  bindBeforeHandshake(lab.io);
  process.on('message', (message: unknown) => {
    const attacker = message as AttackerMessage | null;
    if (attacker?.type === 'lab:attacker' && typeof attacker.origin === 'string') lab.attacker.origin = attacker.origin;
  });
  shareViewerState({
    settings: channel(lab.settings),
    captured: channel(lab.captured),
    // Login tries count on every worker: N workers must not mean N times the tries.
    loginAccounts: channel(lab.loginLimiters.accounts),
    loginAddresses: channel(lab.loginLimiters.addresses),
  });
  process.send?.({ type: 'lab:worker-ready' });
  // The primary is gone (killed, crashed): nobody can send this worker connections any more.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

/** The id of this worker (1, 2, …), or undefined when the lab runs as a single process. */
export function workerId(): number | undefined {
  return cluster.isWorker ? cluster.worker?.id : undefined;
}

// Each worker keeps its own copy, so reading the settings on the request path is a local, synchronous
// read. An update goes worker → primary → every other worker. Requests reach a worker through the
// primary over the same channel, after any update sent before them, so a PUT's effect is visible on
// the very next request, whichever worker takes it.
function shareViewerState(channels: Record<string, Replicated<unknown>>): void {
  for (const [channel, state] of Object.entries(channels)) {
    state.onUpdate((viewerId, value) => process.send?.({ type: 'lab:share', channel, viewerId, value } satisfies ShareMessage));
  }
  // values come from this cluster's own workers, written by the same code: trusted as they are
  const apply = (channel: string, viewerId: string, value: unknown) => channels[channel]?.apply(viewerId, value);
  process.on('message', (message: unknown) => {
    if (!isShareMessage(message)) return;
    if (message.type === 'lab:share') apply(message.channel, message.viewerId, message.value);
    else if (message.type === 'lab:share:snapshot') for (const [channel, viewerId, value] of message.entries) apply(channel, viewerId, value);
  });
  // A worker started after a crash asks for what the others already know.
  process.send?.({ type: 'lab:share:hello' } satisfies ShareMessage);
}

function channel<T>(state: Replicated<T>): Replicated<unknown> {
  return state as Replicated<unknown>;
}

function relayViewerState(): void {
  const known = new Map<string, [string, string, unknown]>(); // `${channel} ${viewerId}` → the latest value
  cluster.on('message', (from, message: unknown) => {
    if (!isShareMessage(message)) return;
    if (message.type === 'lab:share:hello') {
      from.send({ type: 'lab:share:snapshot', entries: [...known.values()] } satisfies ShareMessage);
      return;
    }
    if (message.type !== 'lab:share') return;
    const key = `${message.channel} ${message.viewerId}`;
    known.delete(key);
    known.set(key, [message.channel, message.viewerId, message.value]);
    if (known.size > MAX_ENTRIES) known.delete(known.keys().next().value as string);
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker && worker.id !== from.id && worker.isConnected()) worker.send(message);
    }
  });
}

// Sticky learns a session's worker from a `sticky:connection` message the worker sends once the
// handshake is done, that is after its answer is on the wire. Here the worker sends that message
// from engine.io's (awaited) id generator and waits for the primary to confirm, so the mapping is in
// place before the client can see the id. The messages of one worker arrive in order, so by the time
// the primary answers `lab:sticky:bind`, sticky has recorded the `sticky:connection` sent before it.
function bindBeforeHandshake(io: LabServer['io']): void {
  const waiting = new Map<string, () => void>();
  process.on('message', (message: unknown) => {
    const bound = message as BindMessage | null;
    if (bound?.type !== 'lab:sticky:bound') return;
    waiting.get(bound.sid)?.();
  });
  const engine = io.engine;
  const generateId = engine.generateId.bind(engine);
  engine.generateId = async (req) => {
    const sid = await generateId(req);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waiting.delete(sid);
        resolve();
      };
      const timer = setTimeout(done, BIND_TIMEOUT_MS);
      waiting.set(sid, done);
      process.send?.({ type: 'sticky:connection', data: sid });
      process.send?.({ type: 'lab:sticky:bind', sid } satisfies BindMessage);
    });
    return sid;
  };
}

function confirmBindings(): void {
  cluster.on('message', (from, message: unknown) => {
    const bind = message as BindMessage | null;
    if (bind?.type === 'lab:sticky:bind' && from.isConnected()) from.send({ type: 'lab:sticky:bound', sid: bind.sid } satisfies BindMessage);
  });
}
