// A real cluster for tests: `tsx server/index.ts` with WORKERS=2 as a child process on a free port
// and a temp DATA_DIR, exactly as `npm run cluster` starts it. Each response names its worker in
// X-Worker, and the primary deals connections round-robin with `Connection: close`, so a request
// can be steered to another worker by sending it again on a fresh connection.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Client, tempDataDir } from './helpers.js';
import { freePort } from './redis.js';

export interface TestCluster {
  url: string;
  workers: number;
  /** Everything the processes printed, for asserting that nothing went wrong. */
  output(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');

export async function startCluster(env: Record<string, string> = {}, workers = 2): Promise<TestCluster> {
  const port = await freePort();
  const dataDir = tempDataDir();
  const child: ChildProcess = spawn(TSX, ['server/index.ts'], {
    env: { ...process.env, ...env, WORKERS: String(workers), PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the cluster did not start:\n${output}`)), 30_000);
    const check = () => {
      // up once it listens and has told the workers where the attacker page is
      if (output.includes(`(store: ${env.STORE ?? 'sqlite'}, ${workers} workers)`) && output.includes('Attacker page for the CSRF and XSS scenarios:')) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the cluster exited with ${code}:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    workers,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function workerOf(res: Response): number {
  const worker = Number(res.headers.get('x-worker'));
  if (!Number.isInteger(worker) || worker < 1) throw new Error('the response has no X-Worker header');
  return worker;
}

/**
 * Sends the request again (each on a fresh connection) until the worker that answers is, or is not,
 * `worker`. Only for requests that are safe to repeat.
 */
export async function requestOn(
  client: Client,
  target: { worker: number } | { notWorker: number },
  send: (client: Client) => Promise<Response>,
): Promise<Response> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const res = await send(client);
    const worker = workerOf(res);
    if ('worker' in target ? worker === target.worker : worker !== target.notWorker) return res;
  }
  throw new Error(`20 requests never reached the wanted worker (${JSON.stringify(target)})`);
}

/**
 * With the denylist on, a JWT logged out on one worker is refused on another; with refresh tokens on,
 * a refresh token rotated on one worker is recognised as reused on another, which revokes its family.
 * Run against any store that should share revocation between workers.
 */
export async function expectRevocationAcrossWorkers(url: string): Promise<void> {
  const client = new Client(url);
  await client.becomeViewer();
  expect((await client.put('/api/lab', { denylist: true })).status).toBe(200);
  expect((await client.login('jwt')).status).toBe(200);
  const stolen = client.cookieHeader;
  const logout = await client.post('/api/jwt/logout');
  expect(logout.status).toBe(204);
  const replay = await requestOn(client, { notWorker: workerOf(logout) }, (c) => c.get('/api/jwt/me', { cookie: stolen }));
  expect(replay.status).toBe(401);
  expect((await replay.json()).error).toMatch(/revoked at logout/);

  expect((await client.put('/api/lab', { denylist: false, refresh: true })).status).toBe(200);
  // A reuse must land on another worker than the rotation; it cannot be retried (it revokes), so
  // the whole exchange is retried instead until the two requests happen to land apart.
  for (let attempt = 0; attempt < 10; attempt++) {
    expect((await client.login('jwt')).status).toBe(200);
    const first = client.cookieHeader;
    const rotated = await client.post('/api/jwt/refresh');
    expect(rotated.status).toBe(200);
    const next = client.cookieHeader;
    const reused = await client.post('/api/jwt/refresh', undefined, { cookie: first });
    expect(reused.status).toBe(401);
    if (workerOf(reused) === workerOf(rotated)) continue;
    expect((await reused.json()).error).toMatch(/already used/);
    const family = await client.post('/api/jwt/refresh', undefined, { cookie: next });
    expect(family.status).toBe(401); // the family went with the reuse, on every worker
    return;
  }
  throw new Error('ten tries never put the rotation and the reuse on different workers');
}
