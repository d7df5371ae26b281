// The bench's servers: the real lab (`server/index.ts`) as a child process on a temp DATA_DIR and a
// free port, and the viewers it drives — a cookie jar plus a socket.io client that adds up what the
// server's own traces say (lookups per request, step durations).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, Flow, ServerToClientEvents, TraceEnd, TraceStep } from '../../server/protocol.js';
import { freePort } from '../redis.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface BenchServer {
  url: string;
  pid: number;
  /** Resident set size of the server process, in bytes (from /proc). */
  rss(): number;
  /** CPU time the server process has used so far (user + system), in ms (from /proc). */
  cpuMs(): number;
  stop(): Promise<void>;
}

/**
 * Starts `server/index.ts` in one node process (`node --import tsx`, so the pid is the server's own
 * and its RSS is the server's, not a launcher's). `cpuProfDir` adds --cpu-prof for profiling.
 */
export async function startServer(env: Record<string, string>, cpuProfDir?: string): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lab-bench-'));
  const port = await freePort();
  const args = ['--import', 'tsx', ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []), 'server/index.ts'];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', ...env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the lab server exited during start-up:\n${output}`);
    const up = await fetch(`${url}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the lab server did not answer /api/health within 20 s:\n${output}`);
    }
    await sleep(100);
  }
  const pid = child.pid!;
  return {
    url,
    pid,
    rss: () => readRss(pid),
    cpuMs: () => readCpuMs(pid),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(5000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

// Fields 14 and 15 of /proc/<pid>/stat, counted after the command name (which may hold spaces).
// Linux reports them in USER_HZ ticks, which is 100 a second on every platform Node runs on.
export function readCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10 + childrenCpuMs(pid);
}

// WORKERS > 1: the requests are served by the primary's forked workers, so count their CPU too.
function childrenCpuMs(pid: number): number {
  let children: string[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean);
  } catch {
    return 0;
  }
  let total = 0;
  for (const child of children) {
    try {
      total += readCpuMs(Number(child));
    } catch {
      // the child exited between the two reads: its time is gone with it
    }
  }
  return total;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One dashboard's worth of identity: its own `lab` cookie (so its own lab settings), logged in on a
 * flow, with a socket that receives its requests' traces — live, or batched under load — and
 * adds them up.
 */
export class BenchViewer {
  private readonly cookies = new Map<string, string>();
  private socket: Socket<ServerToClientEvents, ClientToServerEvents> | null = null;
  /** Requests counted since the last reset, per path (summaries count per flow). */
  counted = { requests: 0, lookups: 0 };
  /** Steps of the requests that arrived in full, by step name. */
  readonly durations = new Map<string, number[]>();
  readonly ends: TraceEnd[] = [];

  constructor(
    readonly url: string,
    readonly flow: Flow | null,
  ) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    await res.arrayBuffer();
    return res;
  }

  /** Gets a lab cookie, applies the lab settings (false when the server refuses them), logs in, and listens. */
  async prepare(settings: Record<string, unknown> = {}): Promise<{ ok: true } | { ok: false; status: number }> {
    await this.request('GET', '/api/health');
    if (Object.keys(settings).length > 0) {
      const res = await this.request('PUT', '/api/lab', settings);
      if (!res.ok) return { ok: false, status: res.status };
    }
    if (this.flow) {
      const res = await this.request('POST', `/api/${this.flow}/login`, { username: 'alice', password: 'wonderland' });
      if (!res.ok) throw new Error(`login on ${this.flow} answered ${res.status}`);
    }
    await this.listen();
    return { ok: true };
  }

  private async listen(): Promise<void> {
    this.socket = connect(this.url, {
      transports: ['websocket'],
      extraHeaders: { cookie: this.cookieHeader, origin: this.url },
      reconnection: false,
      forceNew: true,
    });
    const add = (steps: TraceStep[], end: TraceEnd | null) => {
      for (const step of steps) {
        const list = this.durations.get(step.name) ?? [];
        if (list.length < 100_000) list.push(step.durationMs);
        this.durations.set(step.name, list);
      }
      if (end && end.flow === this.flow) {
        this.counted.requests++;
        this.counted.lookups += lookupsOf(end);
        if (this.ends.length < 100_000) this.ends.push(end);
      }
    };
    this.socket.on('trace:step', (step) => add([step], null));
    this.socket.on('trace:end', (end) => add([], end));
    this.socket.on('trace:batch', (batch) => {
      for (const { steps, end } of batch.requests) add(steps, end);
      const summary = this.flow ? batch.summarised[this.flow] : undefined;
      if (summary) {
        this.counted.requests += summary.requests;
        this.counted.lookups += lookupsOf(summary);
      }
    });
    await new Promise<void>((done, fail) => {
      this.socket!.once('connect', () => done());
      this.socket!.once('connect_error', fail);
    });
  }

  /** Forgets what was counted so far (the set-up's own requests), once their traces have arrived. */
  async reset(): Promise<void> {
    await sleep(400); // a flush interval and then some: the login's trace is in
    this.counted = { requests: 0, lookups: 0 };
    this.durations.clear();
    this.ends.length = 0;
  }

  /** Waits until the traces of `expected` requests have arrived (or a couple of seconds went by). */
  async settle(expected: number): Promise<void> {
    const deadline = Date.now() + 3000;
    while (this.counted.requests < expected && Date.now() < deadline) await sleep(50);
  }

  close(): void {
    this.socket?.close();
  }
}

function lookupsOf(x: { lookups: TraceEnd['lookups'] }): number {
  return Object.values(x.lookups).reduce((n, c) => n + c.reads + c.writes, 0);
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
