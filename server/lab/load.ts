// POST /api/lab/load: the dashboard's "Run 1,000 requests" button. The server fires the requests
// at itself over loopback, carrying the viewer's own cookies, so each one takes the same path as a
// click (and is traced to the same viewer) while the browser sends nothing. Progress goes to that
// viewer only, over the broadcaster's bounded channel.
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { Router, type Request, type Response } from 'express';
import type { CookiePolicy } from '../cookies.js';
import { HttpError } from '../errors.js';
import { methodNotAllowed } from '../http.js';
import type { Flow, LoadProgress, TraceEnd } from '../protocol.js';
import { internalHeaders } from './internal.js';

export const MAX_LOAD_COUNT = 1000;
/** Requests in flight at once during a run: enough to keep a core busy, not enough to starve clicks. */
export const LOAD_CONCURRENCY = 8;
/** Runs at once on the whole server, whoever started them. */
const MAX_RUNS = 4;
const REQUEST_TIMEOUT_MS = 10_000;
// The account a run logs in as when the viewer's browser is not logged in on that flow.
const RUN_USER = { username: 'alice', password: 'wonderland' };

/** Where a run's progress and its requests' trace ends come from: the broadcaster. */
export interface LoadReporter {
  progress(viewerId: string, progress: LoadProgress): void;
  watchEnds(viewerId: string, listener: (end: TraceEnd) => void): () => void;
}

export interface LoadRoutesDeps {
  reporter: LoadReporter;
  policy: CookiePolicy;
}

interface Target {
  host: string;
  port: number;
}

interface Answer {
  status: number;
  requestId: string | null;
  setCookies: string[];
}

export function createLoadRouter({ reporter, policy }: LoadRoutesDeps): Router {
  const router = Router();
  const running = new Set<string>(); // viewer IDs with a run in progress

  // POST /api/lab/load {flow, count}
  // Starts a run of `count` GET /api/<flow>/me and answers 202 at once; progress, throughput and
  // lookups per request arrive as `load:progress` on this viewer's socket until `finished`.
  router.post('/', (req: Request, res: Response) => {
    const parsed = parseLoadRequest(req.body);
    if (!parsed.ok) throw new HttpError(400, parsed.error);
    const viewerId = req.viewerId;
    if (!viewerId) throw new HttpError(400, 'This request has no lab cookie, so no dashboard would see the run; load the dashboard first.');
    if (running.has(viewerId)) throw new HttpError(409, 'A load run of yours is still going; wait for it to finish.');
    if (running.size >= MAX_RUNS) throw new HttpError(429, 'Too many load runs are going on this server right now; try again in a few seconds.');
    const target = loopbackTarget(req);
    if (!target) throw new HttpError(500, 'The server could not tell its own address, so it cannot send requests to itself.');

    const run = { runId: randomUUID(), flow: parsed.flow, total: parsed.count, concurrency: LOAD_CONCURRENCY };
    running.add(viewerId);
    const cookies = new CookieJar(req.headers.cookie);
    void runLoad({ ...run, target, cookies, policy, viewerId, reporter })
      .catch((err: unknown) => console.error('Load run failed:', err))
      .finally(() => running.delete(viewerId));
    res.status(202).json({ run });
  });

  router.all('/', methodNotAllowed('POST'));
  return router;
}

export function parseLoadRequest(body: unknown): { ok: true; flow: Flow; count: number } | { ok: false; error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: 'Send a JSON object like {"flow": "jwt", "count": 1000}.' };
  }
  const { flow, count, ...rest } = body as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) return { ok: false, error: `A load run takes only flow and count, not "${extra.slice(0, 40)}".` };
  if (flow !== 'session' && flow !== 'jwt') return { ok: false, error: 'flow must be "session" or "jwt".' };
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_LOAD_COUNT) {
    return { ok: false, error: `count must be a whole number from 1 to ${MAX_LOAD_COUNT}.` };
  }
  return { ok: true, flow, count };
}

// The address this connection came in on is one the server listens on, whatever HOST says.
function loopbackTarget(req: Request): Target | null {
  const { localAddress, localPort } = req.socket;
  if (!localAddress || !localPort) return null;
  const host = localAddress === '::' ? '::1' : localAddress === '0.0.0.0' ? '127.0.0.1' : localAddress;
  return { host, port: localPort };
}

interface RunOptions {
  runId: string;
  flow: Flow;
  total: number;
  concurrency: number;
  target: Target;
  cookies: CookieJar;
  policy: CookiePolicy;
  viewerId: string;
  reporter: LoadReporter;
}

async function runLoad(options: RunOptions): Promise<void> {
  const { runId, flow, total, concurrency, target, cookies, viewerId, reporter } = options;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const path = `/api/${flow}/me`;
  const statuses: Record<string, number> = {};
  let done = 0;
  let failed = 0;
  let user: string | null = null;
  const started = performance.now();

  // Each request's lookups come from its trace end; the end and the answer arrive in either order.
  const endLookups = new Map<string, number>();
  const awaiting = new Set<string>();
  let lookups = 0;
  let matched = 0;
  const count = (id: string, n: number) => {
    lookups += n;
    matched++;
    awaiting.delete(id);
  };
  const stopWatching = reporter.watchEnds(viewerId, (end) => {
    if (end.flow !== flow || end.path !== path) return;
    const n = totalLookups(end);
    if (awaiting.has(end.requestId)) count(end.requestId, n);
    else endLookups.set(end.requestId, n);
  });

  const report = (finished: boolean, error?: string) => {
    const elapsedMs = performance.now() - started;
    const progress: LoadProgress = {
      runId,
      flow,
      total,
      done,
      failed,
      elapsedMs,
      requestsPerSecond: elapsedMs > 0 ? (done * 1000) / elapsedMs : 0,
      lookupsPerRequest: matched > 0 ? lookups / matched : null,
      statuses: { ...statuses },
      user,
      finished,
    };
    if (error) progress.error = error;
    reporter.progress(viewerId, progress);
  };

  try {
    const login = await ensureLoggedIn(options, agent);
    if (!login.ok) {
      report(true, login.error);
      return;
    }
    user = login.user;
    report(false);

    let next = 0;
    const worker = async () => {
      while (next < total) {
        next++;
        const answer = await send(target, agent, 'GET', path, cookies.header()).catch(() => null);
        done++;
        const status = answer ? String(answer.status) : 'no answer';
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (answer?.status !== 200) failed++;
        const id = answer?.requestId;
        if (id) {
          const n = endLookups.get(id);
          if (n === undefined) awaiting.add(id);
          else {
            endLookups.delete(id);
            count(id, n);
          }
        }
        report(false);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
    // An end can trail its answer by a tick: give the last ones a moment.
    for (let i = 0; i < 10 && awaiting.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    report(true);
  } finally {
    stopWatching();
    agent.destroy();
  }
}

// The run uses the viewer's cookies; when they do not log in on this flow, it logs in as the demo user.
async function ensureLoggedIn(
  { flow, target, cookies, policy }: RunOptions,
  agent: Agent,
): Promise<{ ok: true; user: string } | { ok: false; error: string }> {
  const me = await send(target, agent, 'GET', `/api/${flow}/me`, cookies.header(), undefined, true).catch(() => null);
  if (me?.status === 200 && me.body) return { ok: true, user: (JSON.parse(me.body) as { user: { username: string } }).user.username };
  const login = await send(target, agent, 'POST', `/api/${flow}/login`, cookies.header(), JSON.stringify(RUN_USER)).catch(() => null);
  if (login?.status !== 200) {
    return { ok: false, error: `The run could not log in as ${RUN_USER.username} (answer: ${login?.status ?? 'none'}), so it did not start.` };
  }
  cookies.absorb(login.setCookies, [policy.names.session, policy.names.token]);
  return { ok: true, user: RUN_USER.username };
}

function send(
  target: Target,
  agent: Agent,
  method: string,
  path: string,
  cookie: string,
  body?: string,
  readBody = false,
): Promise<Answer & { body?: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'application/json', ...internalHeaders() };
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const req = httpRequest({ host: target.host, port: target.port, method, path, agent, headers, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        if (readBody) chunks.push(chunk);
      });
      res.on('end', () => {
        const id = res.headers['x-request-id'];
        resolve({
          status: res.statusCode ?? 0,
          requestId: typeof id === 'string' ? id : null,
          setCookies: res.headers['set-cookie'] ?? [],
          body: readBody ? Buffer.concat(chunks).toString('utf8') : undefined,
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

function totalLookups(end: TraceEnd): number {
  let n = 0;
  for (const { reads, writes } of Object.values(end.lookups)) n += reads + writes;
  return n;
}

/** The viewer's cookies, as its browser sent them, plus what the run's own login sets. */
class CookieJar {
  private readonly pairs = new Map<string, string>();

  constructor(header: string | undefined) {
    for (const part of (header ?? '').split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0) this.pairs.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
  }

  absorb(setCookies: string[], names: string[]): void {
    for (const line of setCookies) {
      const pair = line.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      if (eq > 0 && names.includes(name)) this.pairs.set(name, pair.slice(eq + 1).trim());
    }
  }

  header(): string {
    return [...this.pairs].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}
