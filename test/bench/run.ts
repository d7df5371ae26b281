// npm run bench [-- --duration 3 --connections 10 --rounds 5 --warmup 0.5 --memory 100000 --memory-seconds 90 --only jwt,session --cpu-prof]
//
// Starts the real lab as child processes (tracing on, and a second one with TRACE=off), drives each
// row's endpoint with autocannon over loopback, and prints one table: requests/s, p50, p99, store
// lookups per request (added up from the server's own traces) and each row's ratio to the baseline
// measured in the same run. The traced server's RSS is watched from the end of the warm-up until it
// has answered 100,000 /me requests over both flows (the rows' own, topped up at the end), to see
// whether it keeps growing. The table is also written to test/bench/results/latest.json (docs/performance.md
// quotes it). A row is one entry in ROWS; a server is one entry in SERVERS.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import type { Flow } from '../../server/protocol.js';
import { redisAvailable, startRedis, type TestRedis } from '../redis.js';
import { BenchViewer, median, sleep, startServer, type BenchServer } from './server.js';

interface ServerSpec {
  env: Record<string, string>;
  traced: boolean; // whether lookups and step timings can be read from its traces
  redis?: boolean; // needs a redis-server: the bench starts one on a free port and sets REDIS_URL
}

/** The servers rows run against; each starts on first use and stops after its last row. */
export const SERVERS: Record<string, ServerSpec> = {
  traced: { env: { TRACE: 'on' }, traced: true },
  untraced: { env: { TRACE: 'off' }, traced: false },
  // Scaling out (docs/scaling-out.md): the primary deals each connection to one of two workers.
  cluster: { env: { TRACE: 'on', WORKERS: '2', STORE: 'redis' }, traced: true, redis: true },
};

export interface BenchRow {
  id: string;
  label: string;
  server: keyof typeof SERVERS;
  path: string;
  /** The flow the row's viewer logs in on; null: no login (the baseline). */
  flow: Flow | null;
  /** PUT /api/lab for the row's viewer before it runs. */
  settings?: Record<string, unknown>;
  /** What the row says when the server refuses `settings` with a 400 (a switch not built yet). */
  unavailable?: string;
}

export const ROWS: BenchRow[] = [
  { id: 'baseline', label: 'baseline GET /api/health', server: 'traced', path: '/api/health', flow: null },
  { id: 'session', label: 'session GET /me (SQLite)', server: 'traced', path: '/api/session/me', flow: 'session' },
  { id: 'jwt', label: 'JWT GET /me', server: 'traced', path: '/api/jwt/me', flow: 'jwt' },
  {
    id: 'jwt-denylist',
    label: 'JWT GET /me, denylist on',
    server: 'traced',
    path: '/api/jwt/me',
    flow: 'jwt',
    settings: { denylist: true },
    unavailable: 'n/a (denylist not available)',
  },
  {
    id: 'session-latency',
    label: 'session GET /me, store +1 ms',
    server: 'traced',
    path: '/api/session/me',
    flow: 'session',
    settings: { latencyMs: 1 },
  },
  { id: 'session-untraced', label: 'session GET /me, tracing off', server: 'untraced', path: '/api/session/me', flow: 'session' },
  { id: 'jwt-untraced', label: 'JWT GET /me, tracing off', server: 'untraced', path: '/api/jwt/me', flow: 'jwt' },
  { id: 'cluster-session', label: 'session GET /me, 2 workers, Redis', server: 'cluster', path: '/api/session/me', flow: 'session' },
  { id: 'cluster-jwt', label: 'JWT GET /me, 2 workers, Redis', server: 'cluster', path: '/api/jwt/me', flow: 'jwt' },
];

interface RowResult {
  id: string;
  label: string;
  server: string;
  requestsPerSecond: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  lookupsPerRequest: number | null;
  tracedRequests: number | null; // how many requests the lookups were added up over
  ratioToBaseline: number | null;
  /** Server CPU time per request (from /proc, 10 ms ticks): steadier than req/s on a shared machine. */
  cpuUsPerRequest: number | null;
  /** baseline CPU per request ÷ this row's: the throughput ratio a saturated, unshared core would give. */
  cpuRatioToBaseline: number | null;
  requests: number;
  errors: number; // connection errors and non-2xx answers
  note?: string;
  stepMedianUs?: Record<string, number>; // from the requests that arrived in full
}

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '0.5' },
    rounds: { type: 'string', default: '5' },
    memory: { type: 'string', default: '100000' },
    'memory-seconds': { type: 'string', default: '90' }, // from the warm-up's end to the 100,000th request
    only: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});

function positive(name: string, raw: string, allowZero = false): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    console.error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number (got "${raw}").`);
    process.exit(2);
  }
  return n;
}

const duration = positive('duration', flags.duration);
const connections = Math.round(positive('connections', flags.connections));
const warmup = positive('warmup', flags.warmup, true);
const rounds = Math.max(1, Math.round(positive('rounds', flags.rounds)));
const memoryRequests = Math.round(positive('memory', flags.memory, true));
// On a busy machine 100,000 requests can take minutes; the memory watch stops after this long and says how many it saw.
const memorySeconds = positive('memory-seconds', flags['memory-seconds']);
const only = flags.only?.split(',').map((s) => s.trim());
const ROOT = resolve(import.meta.dirname, '../..');
const cpuProfDir = flags['cpu-prof'] ? join(ROOT, 'test/bench/results/profiles') : undefined;

async function cannon(url: string, cookie: string, opts: { duration?: number; amount?: number; connections?: number }) {
  return autocannon({
    url,
    connections: opts.connections ?? connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration ?? duration }),
    headers: cookie ? { cookie } : {},
    // autocannon notices the end of its duration only when it samples (every second by default),
    // so a 0.6 s round would run a whole second: sample every 100 ms and the rounds last as long as asked
    sampleInt: 100,
  });
}

interface Prepared {
  row: BenchRow;
  server: BenchServer;
  spec: ServerSpec;
  viewer: BenchViewer;
  rounds: autocannon.Result[];
  cpuMs: number; // server CPU time spent during the rounds
}

function emptyResult(row: BenchRow): RowResult {
  return {
    id: row.id,
    label: row.label,
    server: row.server,
    requestsPerSecond: null,
    p50Ms: null,
    p99Ms: null,
    lookupsPerRequest: null,
    tracedRequests: null,
    ratioToBaseline: null,
    cpuUsPerRequest: null,
    cpuRatioToBaseline: null,
    requests: 0,
    errors: 0,
  };
}

/** The row's own viewer, settings and login, then a warm-up; a RowResult instead when the row cannot run. */
async function prepareRow(row: BenchRow, server: BenchServer, spec: ServerSpec): Promise<Prepared | RowResult> {
  const viewer = new BenchViewer(server.url, row.flow);
  const prepared = await viewer.prepare(row.settings);
  if (!prepared.ok) {
    viewer.close();
    if (prepared.status === 400 && row.unavailable) return { ...emptyResult(row), note: row.unavailable };
    throw new Error(`PUT /api/lab ${JSON.stringify(row.settings)} answered ${prepared.status}`);
  }
  if (warmup > 0) await cannon(server.url + row.path, viewer.cookieHeader, { duration: warmup });
  return { row, server, spec, viewer, rounds: [], cpuMs: 0 };
}

/** Adds up a row's rounds: throughput over all of them, the median round's p50 and p99, lookups from the traces. */
async function finishRow({ row, spec, viewer, rounds, cpuMs }: Prepared, { keepListening = false } = {}): Promise<RowResult> {
  try {
    const requests = rounds.reduce((n, r) => n + r['2xx'] + r.non2xx, 0);
    const seconds = rounds.reduce((n, r) => n + r.duration, 0);
    const out: RowResult = {
      ...emptyResult(row),
      requestsPerSecond: requests / seconds,
      p50Ms: median(rounds.map((r) => r.latency.p50)),
      p99Ms: median(rounds.map((r) => r.latency.p99)),
      cpuUsPerRequest: requests > 0 ? (cpuMs * 1000) / requests : null,
      requests,
      errors: rounds.reduce((n, r) => n + r.errors + r.non2xx, 0),
    };
    if (spec.traced && row.flow) {
      await viewer.settle(requests);
      out.tracedRequests = viewer.counted.requests;
      out.lookupsPerRequest = viewer.counted.requests > 0 ? viewer.counted.lookups / viewer.counted.requests : null;
      const us = (ms: number | null) => Math.round((ms ?? 0) * 10_000) / 10;
      out.stepMedianUs = {};
      for (const [name, list] of viewer.durations) out.stepMedianUs[name] = us(median(list));
      out.stepMedianUs['(untraced)'] = us(median(viewer.ends.map((e) => e.untracedMs ?? 0)));
      out.stepMedianUs['(tracer itself)'] = us(median(viewer.ends.map((e) => e.tracerMs ?? 0)));
      out.stepMedianUs['(whole request)'] = us(median(viewer.ends.map((e) => e.durationMs)));
    } else if (row.flow) {
      out.note = 'lookups not counted: tracing is off';
    }
    return out;
  } finally {
    if (!keepListening) viewer.close();
  }
}

/**
 * A step's median with one request at a time. Under the rows' load the server shares two cores with
 * autocannon and its own GC, which stretches every step several times over; one at a time shows the
 * step's own work (the same traces, the same server).
 */
const QUIET_REQUESTS = 1000;

async function quietStepMedian(p: Prepared, step: string): Promise<number | null> {
  await p.viewer.reset();
  await cannon(p.server.url + p.row.path, p.viewer.cookieHeader, { amount: QUIET_REQUESTS, connections: 1 });
  await sleep(600); // the last batch
  const ms = median(p.viewer.durations.get(step) ?? []);
  return ms === null ? null : Math.round(ms * 1000 * 100) / 100;
}

/** Fires `amount` requests, or fewer if `seconds` run out first. */
function cannonFor(url: string, cookie: string, amount: number, seconds: number): Promise<autocannon.Result> {
  return new Promise((done, fail) => {
    const instance = autocannon({ url, connections: Math.max(1, connections >> 1), amount, headers: { cookie } }, (err, result) =>
      err ? fail(err) : done(result),
    );
    const timer = setTimeout(() => instance.stop(), seconds * 1000);
    instance.once('done', () => clearTimeout(timer));
  });
}

/**
 * 100,000 requests over both flows: does the server hold on to anything per request? The watch
 * starts once the rows have warmed the traced server up; the rows' own /me requests on that server
 * count towards the total, and `topUp` sends the rest.
 */
function watchMemory(server: BenchServer) {
  const startRss = server.rss();
  let peakRss = startRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, server.rss())), 250);
  const started = performance.now();
  return {
    async topUp(total: number, alreadySent: number) {
      const viewers = (['session', 'jwt'] as const).map((flow) => new BenchViewer(server.url, flow));
      try {
        for (const viewer of viewers) await viewer.prepare();
        const rest = Math.max(0, total - alreadySent);
        const elapsed = (performance.now() - started) / 1000;
        const results =
          rest > 0
            ? await Promise.all(
                viewers.map((v) => cannonFor(`${server.url}/api/${v.flow}/me`, v.cookieHeader, Math.ceil(rest / 2), Math.max(1, memorySeconds - elapsed))),
              )
            : [];
        clearInterval(sampler);
        await sleep(1000);
        const endRss = server.rss();
        const requests = alreadySent + results.reduce((n, r) => n + r['2xx'] + r.non2xx, 0);
        return {
          requests,
          fromRows: alreadySent,
          asked: total,
          stoppedEarly: requests < total, // --memory-seconds ran out first
          errors: results.reduce((n, r) => n + r.errors + r.non2xx, 0),
          seconds: (performance.now() - started) / 1000,
          startRssMb: mb(startRss),
          peakRssMb: mb(peakRss),
          endRssMb: mb(endRss),
          growthMb: mb(endRss - startRss),
        };
      } finally {
        clearInterval(sampler);
        for (const viewer of viewers) viewer.close();
      }
    },
  };
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

function fmt(n: number | null, digits = 0): string {
  return n === null ? '—' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function printTable(rows: RowResult[]): void {
  const header = ['row', 'req/s', 'p50 ms', 'p99 ms', 'lookups/req', '× baseline', 'CPU µs/req', 'CPU × baseline', 'notes'];
  const lines = rows.map((r) => [
    r.label,
    fmt(r.requestsPerSecond),
    fmt(r.p50Ms, 0),
    fmt(r.p99Ms, 0),
    fmt(r.lookupsPerRequest, 2),
    fmt(r.ratioToBaseline, 2),
    fmt(r.cpuUsPerRequest),
    fmt(r.cpuRatioToBaseline, 2),
    [r.note, r.errors > 0 ? `${r.errors} errors/non-2xx` : ''].filter(Boolean).join('; '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(line(l));
}

async function main(): Promise<void> {
  const began = performance.now();
  const wanted = only ? ROWS.filter((r) => r.id === 'baseline' || only.includes(r.id)) : ROWS;
  // Without redis-server the cluster rows are left out, with a notice (CI=true makes that an error).
  const rows = wanted.some((r) => SERVERS[r.server].redis) && !redisAvailable() ? wanted.filter((r) => !SERVERS[r.server].redis) : wanted;
  console.log(`bench: ${rows.length} rows × ${duration} s in ${rounds} rounds, ${connections} connections, warm-up ${warmup} s (load average ${loadavg()[0].toFixed(2)} on ${cpus().length} cores)\n`);

  // All servers run at once and the rows take turns, round after round, so a noisy neighbour on
  // the machine slows every row alike and the ratios stay honest.
  const servers = new Map<string, BenchServer>();
  const redisServers: TestRedis[] = [];
  const results = new Map<string, RowResult>();
  const prepared: Prepared[] = [];
  let memory: Awaited<ReturnType<ReturnType<typeof watchMemory>['topUp']>> | null = null;
  let quietVerifyUs: number | null = null;
  try {
    // Started side by side: each spends a few seconds compiling TypeScript before it listens.
    await Promise.all(
      [...new Set(rows.map((r) => r.server))].map(async (name) => {
        const env = { ...SERVERS[name].env };
        if (SERVERS[name].redis) {
          const redis = await startRedis();
          redisServers.push(redis);
          env.REDIS_URL = redis.url;
        }
        servers.set(name, await startServer(env, cpuProfDir));
      }),
    );
    console.log(`  servers up in ${((performance.now() - began) / 1000).toFixed(1)} s`);
    for (const row of rows) {
      const ready = await prepareRow(row, servers.get(row.server)!, SERVERS[row.server]);
      if ('viewer' in ready) prepared.push(ready);
      else results.set(row.id, ready);
    }
    console.log(`  rows ready (logins, warm-up) at ${((performance.now() - began) / 1000).toFixed(1)} s`);
    const traced = servers.get('traced');
    let watch: ReturnType<typeof watchMemory> | null = null;
    if (traced && memoryRequests > 0 && !only) {
      await sleep(1000); // let the warm-up's garbage go before the first RSS reading
      watch = watchMemory(traced);
    }
    let meOnTraced = 0; // /me requests the traced server answered while the memory watch ran
    const roundSeconds = duration / rounds;
    for (let round = 1; round <= rounds; round++) {
      process.stdout.write(`  round ${round}/${rounds} `);
      for (const p of prepared) {
        const cpuBefore = p.server.cpuMs();
        p.rounds.push(await cannon(p.server.url + p.row.path, p.viewer.cookieHeader, { duration: roundSeconds }));
        p.cpuMs += p.server.cpuMs() - cpuBefore;
        const round = p.rounds.at(-1)!;
        if (p.server === traced && p.row.flow) meOnTraced += round['2xx'] + round.non2xx;
        process.stdout.write('.');
      }
      console.log('');
    }
    console.log(`  rounds done at ${((performance.now() - began) / 1000).toFixed(1)} s`);
    const finished = new Map<string, RowResult>();
    for (const p of prepared) finished.set(p.row.id, await finishRow(p, { keepListening: p.row.id === 'jwt' }));
    const jwtRow = prepared.find((p) => p.row.id === 'jwt');
    if (jwtRow) {
      quietVerifyUs = await quietStepMedian(jwtRow, 'jwt.verify');
      if (jwtRow.server === traced) meOnTraced += QUIET_REQUESTS;
      jwtRow.viewer.close();
    }
    for (const [id, result] of finished) results.set(id, result);
    console.log(`  traces settled at ${((performance.now() - began) / 1000).toFixed(1)} s`);
    if (watch) {
      process.stdout.write(`  memory: ${memoryRequests.toLocaleString('en-US')} requests over both flows (${meOnTraced.toLocaleString('en-US')} from the rows) … `);
      memory = await watch.topUp(memoryRequests, meOnTraced);
      console.log(`RSS ${memory.startRssMb} → ${memory.endRssMb} MB`);
    }
  } finally {
    for (const p of prepared) p.viewer.close();
    await Promise.all([...servers.values()].map((server) => server.stop()));
    await Promise.all(redisServers.map((redis) => redis.stop()));
  }
  const ordered = rows.map((r) => results.get(r.id)).filter((r): r is RowResult => r !== undefined);

  const baseline = results.get('baseline')?.requestsPerSecond ?? null;
  const baselineCpu = results.get('baseline')?.cpuUsPerRequest ?? null;
  for (const r of ordered) {
    r.ratioToBaseline = baseline && r.requestsPerSecond !== null ? r.requestsPerSecond / baseline : null;
    r.cpuRatioToBaseline = baselineCpu && r.cpuUsPerRequest ? baselineCpu / r.cpuUsPerRequest : null;
  }
  const byId = (id: string) => results.get(id);
  const ratio = (a: string, b: string) => {
    const x = byId(a)?.requestsPerSecond;
    const y = byId(b)?.requestsPerSecond;
    return x && y ? x / y : null;
  };
  const cpuRatio = (a: string, b: string) => {
    const x = byId(a)?.cpuUsPerRequest;
    const y = byId(b)?.cpuUsPerRequest;
    return x && y ? y / x : null;
  };
  const verifyUs = byId('jwt')?.stepMedianUs?.['jwt.verify'] ?? null;
  const targets = [
    { name: 'JWT /me ÷ baseline', value: byId('jwt')?.ratioToBaseline ?? null, target: 0.85, atLeast: true },
    { name: 'session /me (SQLite) ÷ baseline', value: byId('session')?.ratioToBaseline ?? null, target: 0.55, atLeast: true },
    { name: 'session: tracing on ÷ off', value: ratio('session', 'session-untraced'), target: 0.9, atLeast: true },
    { name: 'JWT: tracing on ÷ off', value: ratio('jwt', 'jwt-untraced'), target: 0.9, atLeast: true },
    { name: 'JWT /me ÷ baseline, by server CPU per request', value: byId('jwt')?.cpuRatioToBaseline ?? null, target: 0.85, atLeast: true },
    { name: 'session /me ÷ baseline, by server CPU per request', value: byId('session')?.cpuRatioToBaseline ?? null, target: 0.55, atLeast: true },
    { name: 'session: tracing on ÷ off, by CPU', value: cpuRatio('session', 'session-untraced'), target: 0.9, atLeast: true },
    { name: 'JWT: tracing on ÷ off, by CPU', value: cpuRatio('jwt', 'jwt-untraced'), target: 0.9, atLeast: true },
    { name: 'jwt.verify step median, one request at a time (µs)', value: quietVerifyUs, target: 20, atLeast: false },
    { name: 'jwt.verify step median under the load above (µs)', value: verifyUs, target: 20, atLeast: false },
    { name: 'RSS growth over the memory run (MB)', value: memory?.growthMb ?? null, target: 50, atLeast: false },
  ].map((t) => ({ ...t, met: t.value === null ? null : t.atLeast ? t.value >= t.target : t.value < t.target }));

  console.log('');
  printTable(ordered);
  console.log('');
  for (const t of targets) {
    const verdict = t.met === null ? 'not measured' : t.met ? 'met' : 'MISSED';
    console.log(`  ${t.name}: ${fmt(t.value, 2)} (target ${t.atLeast ? '≥' : '<'} ${t.target}) ${verdict}`);
  }
  if (memory) {
    console.log(
      `  memory: ${memory.requests.toLocaleString('en-US')} requests (${memory.fromRows.toLocaleString('en-US')} of them the rows') in ${memory.seconds.toFixed(1)} s${memory.stoppedEarly ? ` (stopped by --memory-seconds before ${memory.asked.toLocaleString('en-US')})` : ''}; RSS ${memory.startRssMb} MB after warm-up, peak ${memory.peakRssMb}, ${memory.endRssMb} at the end`,
    );
  }
  const steps = byId('session')?.stepMedianUs;
  if (steps) console.log(`  session /me step medians (µs): ${JSON.stringify(steps)}`);
  if (byId('jwt')?.stepMedianUs) console.log(`  JWT /me step medians (µs): ${JSON.stringify(byId('jwt')?.stepMedianUs)}`);
  const seconds = (performance.now() - began) / 1000;
  console.log(`\nbench took ${seconds.toFixed(0)} s`);

  const dir = join(ROOT, 'test/bench/results');
  mkdirSync(dir, { recursive: true });
  const report = {
    command: `npm run bench -- --duration ${duration} --connections ${connections} --rounds ${rounds} --warmup ${warmup} --memory ${memoryRequests} --memory-seconds ${memorySeconds}`,
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadAverageAtStart: loadavg()[0],
    seconds,
    rows: ordered,
    targets,
    memory,
  };
  if (!only) writeFileSync(join(dir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  if (cpuProfDir) console.log(`CPU profiles: ${cpuProfDir}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
