// The trace's timings tell the truth, structurally: each step reports only its own time (a step
// recorded inside or across another is not counted twice), so the steps never add up to more than
// the request, and what they leave out is reported as the end's untracedMs. No assertion here
// depends on how fast the machine is.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabSettings, TraceEnd, TraceStep } from '../server/protocol.js';
import { Trace } from '../server/trace/tracer.js';
import { Client, startLab, Watcher, type TestLab } from './helpers.js';

const settings = { latencyMs: 0, deserialize: 'session' } as LabSettings;

/** Some real work between two clock readings, so a step's duration is not zero. */
function work(): void {
  let digest = 'x';
  for (let i = 0; i < 200; i++) digest = createHash('sha256').update(digest).digest('hex');
}

const sum = (steps: TraceStep[]) => steps.reduce((n, s) => n + s.durationMs, 0);

describe('Trace', () => {
  it('does not count a store call inside a measured step twice', async () => {
    const trace = new Trace('session', null, settings, null);
    await trace.measure('session.deserialize', async () => {
      work();
      const start = trace.now();
      work();
      trace.record('users.findById', start);
      work();
    });
    const [inner, outer] = trace.steps;
    expect(inner.name).toBe('users.findById');
    expect(inner.durationMs).toBeGreaterThan(0);
    expect(outer.durationMs).toBeGreaterThan(0);
    // the outer step's own time plus the inner's is its wall time, not more
    expect(outer.durationMs + inner.durationMs).toBeLessThanOrEqual(trace.now() - outer.atMs);
  });

  it('does not count response.send again in a store call that was in flight while the headers went out', () => {
    const trace = new Trace('session', null, settings, null);
    const touchStart = trace.now(); // express-session calls store.touch, then writes the head
    work();
    const sendStart = trace.now();
    work();
    const send = trace.record('response.send', sendStart);
    work();
    const touch = trace.record('session.store.touch', touchStart); // the touch's callback comes last
    expect(send.durationMs).toBeGreaterThan(0);
    expect(touch.durationMs + send.durationMs).toBeLessThanOrEqual(trace.now() - touchStart);
  });

  it('ends with untracedMs: the steps plus the untraced time make the request duration', () => {
    const trace = new Trace('jwt', null, settings, null);
    work();
    const start = trace.now();
    work();
    trace.record('jwt.cookie.read', start);
    work();
    const end = trace.finish('GET', '/api/jwt/me', 200);
    expect(end.untracedMs).toBeGreaterThan(0);
    expect(sum(trace.steps) + end.untracedMs!).toBeCloseTo(end.durationMs, 9);
    expect(end.tracerMs).toBeGreaterThanOrEqual(0);
  });
});

describe('traced requests', () => {
  let lab: TestLab;
  let client: Client;
  let watcher: Watcher;

  beforeAll(async () => {
    lab = await startLab();
    client = new Client(lab.url);
    await client.becomeViewer();
    watcher = new Watcher(lab.url, client.cookieHeader);
    await watcher.connected();
  });
  afterAll(async () => {
    watcher.close();
    await lab.stop();
  });

  async function traced(path: string): Promise<{ steps: TraceStep[]; end: TraceEnd }> {
    const res = await client.get(path);
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id');
    const end = await watcher.endOf(id);
    return { steps: watcher.stepsOf(id), end };
  }

  function expectSumMatches({ steps, end }: { steps: TraceStep[]; end: TraceEnd }) {
    expect(end.untracedMs).toBeGreaterThanOrEqual(0);
    expect(sum(steps) + end.untracedMs!).toBeCloseTo(end.durationMs, 6);
    for (const step of steps) {
      expect(step.atMs).toBeGreaterThanOrEqual(0);
      expect(step.atMs + step.durationMs).toBeLessThanOrEqual(end.durationMs + 1e-9);
    }
    expect(end.tracerMs).toBeGreaterThanOrEqual(0);
    expect(end.tracerMs).toBeLessThan(end.durationMs);
  }

  it('GET /api/session/me with store latency: the touch spans the response head, yet the sum matches the duration', async () => {
    await client.login('session');
    await client.put('/api/lab', { latencyMs: 3 });
    const request = await traced('/api/session/me');
    expect(request.steps.map((s) => s.name)).toContain('session.store.touch');
    expectSumMatches(request);
    await client.put('/api/lab', { latencyMs: 0 });
  });

  it('GET /api/jwt/me: the sum of the steps matches the duration', async () => {
    await client.login('jwt');
    expectSumMatches(await traced('/api/jwt/me'));
  });
});

describe('TRACE=off', () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await startLab({ TRACE: 'off' });
  });
  afterAll(async () => {
    await lab.stop();
  });

  it('answers GET /api/jwt/me and /api/session/me with no Server-Timing and no trace events (only a plain X-Request-Id)', async () => {
    const client = new Client(lab.url);
    await client.becomeViewer();
    const watcher = new Watcher(lab.url, client.cookieHeader);
    await watcher.connected();
    try {
      for (const flow of ['jwt', 'session'] as const) {
        expect((await client.login(flow)).status).toBe(200);
        const res = await client.get(`/api/${flow}/me`);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/); // every /api answer has one
        expect(res.headers.get('server-timing')).toBeNull();
      }
      // a traced lab would have streamed these by now; give a batch flush its time, then look
      await new Promise((r) => setTimeout(r, 400));
      expect(watcher.steps).toEqual([]);
      expect(watcher.ends).toEqual([]);
      expect(watcher.batches).toEqual([]);
    } finally {
      watcher.close();
    }
  });
});
