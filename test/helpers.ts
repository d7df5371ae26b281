// Test helpers: a real lab server on a temp dir and a free port, a cookie jar that carries
// Set-Cookie into the next request, and a real socket.io client that collects trace events.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { io as connect, type Socket } from 'socket.io-client';
import { loadConfig, type Config } from '../server/config.js';
import type { ClientToServerEvents, ServerToClientEvents, TraceBatch, TraceEnd, TraceStep } from '../server/protocol.js';
import { createLabServer, type LabServer, type LabServerOptions } from '../server/server.js';

export interface TestLab extends LabServer {
  url: string;
  origin: string;
  dataDir: string;
  config: Config;
  /** Closes the server and, unless `keepData`, removes the temp dir. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'lab-test-'));
}

export async function startLab(
  env: Record<string, string> = {},
  options: LabServerOptions & { dataDir?: string } = {},
): Promise<TestLab> {
  const dataDir = options.dataDir ?? tempDataDir();
  const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', ...env });
  const lab = await createLabServer(config, options);
  await new Promise<void>((resolve) => lab.httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = lab.httpServer.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    ...lab,
    url: origin,
    origin,
    dataDir,
    config,
    async stop({ keepData = false } = {}) {
      await lab.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A minimal browser-like cookie jar over fetch: carries Set-Cookie into the next request. */
export class Client {
  readonly cookies = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    readonly defaultHeaders: Record<string, string> = {},
  ) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const init: RequestInit = { method, headers: { ...this.defaultHeaders, ...headers }, redirect: 'manual' };
    const h = init.headers as Record<string, string>;
    if (this.cookies.size > 0 && h.cookie === undefined) h.cookie = this.cookieHeader;
    if (body !== undefined) {
      h['content-type'] ??= 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(this.baseUrl + path, init);
    this.absorb(res);
    return res;
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, undefined, headers);
  }

  post(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request('POST', path, body, headers);
  }

  put(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request('PUT', path, body, headers);
  }

  /** Loads the dashboard page once so the server issues this client's `lab` cookie. */
  async becomeViewer(): Promise<string> {
    await this.get('/');
    const id = this.cookies.get('lab');
    if (!id) throw new Error('the server issued no lab cookie');
    return id;
  }

  login(flow: 'session' | 'jwt', username = 'alice', password = 'wonderland') {
    return this.post(`/api/${flow}/login`, { username, password });
  }

  private absorb(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=thu, 01 jan 1970/i.test(a) || /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

export type TraceSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A real socket.io client for a viewer, collecting every trace event it receives. */
export class Watcher {
  readonly steps: TraceStep[] = [];
  readonly ends: TraceEnd[] = [];
  readonly batches: TraceBatch[] = [];
  /** Every message the server sent this socket, and when it arrived (Date.now()). */
  readonly messageTimes: number[] = [];
  readonly socket: TraceSocket;

  constructor(url: string, cookie: string, origin = url) {
    this.socket = connect(url, {
      transports: ['websocket'],
      extraHeaders: { cookie, origin },
      reconnection: false,
      forceNew: true,
    });
    this.socket.onAny(() => this.messageTimes.push(Date.now()));
    this.socket.on('trace:step', (s) => this.steps.push(s));
    this.socket.on('trace:end', (e) => this.ends.push(e));
    // Past its live budget a viewer gets batches (server/trace/broadcast.ts): the newest requests in
    // full, the rest only counted in `summarised`, which a test reads from `batches`.
    this.socket.on('trace:batch', (batch) => {
      this.batches.push(batch);
      for (const request of batch.requests) {
        this.steps.push(...request.steps);
        this.ends.push(request.end);
      }
    });
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.connected) return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', (err) => reject(err));
    });
  }

  /** Waits for the trace:end of the request with this X-Request-Id. */
  async endOf(requestId: string | null, timeoutMs = 5000): Promise<TraceEnd> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.ends.find((e) => e.requestId === requestId);
      if (end) return end;
      if (Date.now() > deadline) throw new Error(`no trace:end for request ${requestId}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  stepsOf(requestId: string | null): TraceStep[] {
    return this.steps.filter((s) => s.requestId === requestId);
  }

  close(): void {
    this.socket.close();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
