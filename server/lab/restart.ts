// The "server restart" scenario's second server (docs/attacks.md#server-restart). Restarting the
// lab itself would log every viewer out of whatever lives in memory and cut every dashboard off, so
// the scenario starts a fresh lab process instead: the same code, DATA_DIR, store and secrets — or a
// new JWT secret — and nothing of this process's memory. To the cookies it is exactly the server
// after a restart. It listens on a free loopback port, answers the scenario's requests, and stops.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';
import { HttpError } from '../errors.js';

/** Two fresh lab processes on this lab's data, each at its base URL (e.g. http://127.0.0.1:41234). */
export interface RestartedServers {
  /** the same secrets as this lab: a plain restart */
  sameSecrets: string;
  /** a new JWT_SECRET: a restart that rotates the JWT secret */
  newJwtSecret: string;
  stop(): Promise<void>;
}

export interface RestartLauncher {
  /** Starts both; 409 while another viewer's pair is running, 503 (with the reason) if one cannot start. */
  start(): Promise<RestartedServers>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = fileURLToPath(new URL('../index.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export function createRestartLauncher(config: Config): RestartLauncher {
  let busy = false; // one pair at a time: each is two whole labs
  return {
    async start() {
      if (busy) throw new HttpError(409, 'Another viewer is watching a restart right now; try again in a few seconds.');
      busy = true;
      const started = await Promise.allSettled([spawnLab(labEnv(config, false)), spawnLab(labEnv(config, true))]);
      const stop = async () => {
        await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
        busy = false;
      };
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) {
        await stop();
        throw failed.reason;
      }
      const [same, rotated] = started.map((s) => (s as PromiseFulfilledResult<{ base: string }>).value.base);
      return { sameSecrets: same!, newJwtSecret: rotated!, stop };
    },
  };
}

// Everything that decides what survives a restart is passed on as it is: the data directory, the
// store, and the secrets (explicitly, so a rotated JWT secret is never written to secrets.json).
function labEnv(config: Config, rotateJwtSecret: boolean): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LAB_STOP_WITH_PARENT: '1', // with the IPC channel below: if this process dies, so does the second server
    PORT: '0',
    HOST: '127.0.0.1',
    WORKERS: '1',
    ATTACKER_PORT: '0',
    DATA_DIR: config.dataDir,
    STORE: config.store,
    REDIS_URL: config.redisUrl,
    STORE_LATENCY_MS: String(config.storeLatencyMs),
    TRACE: config.tracing ? 'on' : 'off',
    PUBLIC_URL: config.publicUrl ?? '',
    SESSION_SECRET: config.sessionSecret,
    JWT_SECRET: rotateJwtSecret ? randomBytes(32).toString('base64url') : config.jwtSecret,
  };
}

async function spawnLab(env: NodeJS.ProcessEnv): Promise<{ base: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  let output = ''; // what it printed until it was up: the reason, if it never comes up
  let settled = false;
  const base = await new Promise<string>((resolve, reject) => {
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop();
      reject(new HttpError(503, `The second server for the restart could not start: ${why}`));
    };
    const timer = setTimeout(() => fail(`it did not answer within ${START_TIMEOUT_MS / 1000} s.`), START_TIMEOUT_MS);
    const read = (chunk: Buffer) => {
      if (settled) return; // keep draining the pipes, so it never blocks on a full one
      output += chunk.toString();
      const url = /Sessions vs JWT lab: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (!url) return;
      settled = true;
      clearTimeout(timer);
      resolve(url);
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('error', (err) => fail(`${err.message}.`));
    child.once('exit', (code) => fail(lastLine(output) ?? `it exited with code ${code}.`));
  });
  return { base, stop };
}

function lastLine(text: string): string | undefined {
  return text.trim().split('\n').at(-1)?.trim() || undefined;
}
