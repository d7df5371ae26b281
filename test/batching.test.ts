// The trace broadcaster under bursts: a viewer never gets more than 20 messages in any second, every
// request is still accounted for exactly once, and nothing it holds grows with the number of requests.
// The rate bound is checked on the broadcaster's own clock (a hand-driven one), so it is structure,
// not timing; the accounting is checked again end to end over a real socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow, LoadProgress, ServerToClientEvents, TraceEnd, TraceStep } from '../server/protocol.js';
import {
  DETAIL_LIMIT,
  FLUSH_INTERVAL_MS,
  LIVE_LIMIT,
  PENDING_LIMIT,
  STEP_LIMIT,
  TraceBroadcaster,
  WINDOW_MS,
  type BroadcastClock,
} from '../server/trace/broadcast.js';
import { Client, startLab, Watcher, type TestLab } from './helpers.js';

const MAX_PER_SECOND = 20;

/** A clock the test moves by hand, with the timers the broadcaster schedules on it. */
class HandClock implements BroadcastClock {
  time = 0;
  private timers: { at: number; work: () => void; id: number }[] = [];
  private nextId = 0;

  now(): number {
    return this.time;
  }

  schedule(work: () => void, ms: number): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, work, id });
    return () => (this.timers = this.timers.filter((t) => t.id !== id));
  }

  /** Moves time forward, running each timer at its own moment. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.work();
    }
    this.time = until;
  }
}

type Sent = { at: number; viewerId: string; event: keyof ServerToClientEvents; payload: unknown };

function setUp() {
  const clock = new HandClock();
  const sent: Sent[] = [];
  const broadcaster = new TraceBroadcaster((viewerId, event, payload) => sent.push({ at: clock.now(), viewerId, event, payload }), clock);
  return { clock, sent, broadcaster };
}

let nextRequest = 0;

/** A request's events as the tracer would send them: `stepCount` steps, then the end. */
function fakeRequest(flow: Flow, stepCount: number, lookups = 0): { steps: TraceStep[]; end: TraceEnd } {
  const requestId = `r${nextRequest++}`;
  const steps = Array.from({ length: stepCount }, (_, seq): TraceStep => ({
    requestId,
    flow,
    seq,
    name: 'response.send',
    label: 'a step',
    atMs: seq,
    durationMs: 1,
    doc: 'docs/x.md#y',
    source: 'server/x.ts',
  }));
  const end: TraceEnd = {
    requestId,
    flow,
    method: 'GET',
    path: `/api/${flow}/me`,
    status: 200,
    durationMs: stepCount,
    lookups: {
      sessionStore: { reads: lookups, writes: 0 },
      userDb: { reads: 0, writes: 0 },
      denylist: { reads: 0, writes: 0 },
    },
  };
  return { steps, end };
}

function maxInAnyWindow(times: number[]): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= WINDOW_MS) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** Which requests the viewer was told about, and how: live ends, ends in batches, or counts in summaries. */
function accounting(sent: Sent[], viewerId: string) {
  const ended = new Map<string, number>();
  let summarised = 0;
  let lookups = 0;
  for (const message of sent.filter((m) => m.viewerId === viewerId)) {
    if (message.event === 'trace:end') {
      const end = message.payload as TraceEnd;
      ended.set(end.requestId, (ended.get(end.requestId) ?? 0) + 1);
      lookups += end.lookups.sessionStore.reads;
    }
    if (message.event === 'trace:batch') {
      const batch = message.payload as Parameters<ServerToClientEvents['trace:batch']>[0];
      for (const { end } of batch.requests) {
        ended.set(end.requestId, (ended.get(end.requestId) ?? 0) + 1);
        lookups += end.lookups.sessionStore.reads;
      }
      for (const summary of Object.values(batch.summarised)) {
        summarised += summary.requests;
        lookups += summary.lookups.sessionStore.reads;
      }
    }
  }
  return { ended, summarised, lookups };
}

describe('trace broadcaster', () => {
  it('streams a single request live, one message per step, in order, with no batch', () => {
    const { sent, broadcaster } = setUp();
    const { steps, end } = fakeRequest('session', 6, 2);
    for (const step of steps) broadcaster.step('v', step);
    broadcaster.end('v', end);
    expect(sent.map((m) => m.event)).toEqual([...steps.map(() => 'trace:step'), 'trace:end']);
    expect(sent.every((m) => m.at === 0)).toBe(true);
  });

  it('under a burst of 1,000 requests sends at most 20 messages in any second and accounts for every request once', () => {
    const { clock, sent, broadcaster } = setUp();
    const requests = Array.from({ length: 1000 }, (_, i) => fakeRequest(i % 2 ? 'jwt' : 'session', 5, 2));
    // 50 requests every 50 ms: a one-second burst, as a load run makes it
    for (let i = 0; i < requests.length; i++) {
      const { steps, end } = requests[i];
      for (const step of steps) broadcaster.step('v', step);
      broadcaster.end('v', end);
      if (i % 50 === 49) clock.advance(50);
    }
    clock.advance(5 * WINDOW_MS);

    expect(maxInAnyWindow(sent.map((m) => m.at))).toBeLessThanOrEqual(MAX_PER_SECOND);
    const live = sent.filter((m) => m.event === 'trace:step' || m.event === 'trace:end');
    expect(maxInAnyWindow(live.map((m) => m.at))).toBeLessThanOrEqual(LIVE_LIMIT);
    const batches = sent.filter((m) => m.event === 'trace:batch');
    expect(batches.length).toBeGreaterThan(0);
    for (let i = 1; i < batches.length; i++) expect(batches[i].at - batches[i - 1].at).toBeGreaterThanOrEqual(FLUSH_INTERVAL_MS);

    const { ended, summarised, lookups } = accounting(sent, 'v');
    expect([...ended.values()].every((n) => n === 1)).toBe(true);
    expect(ended.size + summarised).toBe(1000);
    expect(lookups).toBe(2000);
    // summaries, not one message per step: far fewer messages than the 6,000 events
    expect(sent.length).toBeLessThan(200);
  });

  it('finishes in full a request whose first steps went live, so the page never keeps half a request', () => {
    const { clock, sent, broadcaster } = setUp();
    const first = fakeRequest('session', LIVE_LIMIT + 4);
    for (const step of first.steps) broadcaster.step('v', step);
    broadcaster.end('v', first.end);
    clock.advance(WINDOW_MS);
    const seen = new Set<number>();
    for (const m of sent) {
      if (m.event === 'trace:step') seen.add((m.payload as TraceStep).seq);
      if (m.event === 'trace:batch') {
        const batch = m.payload as Parameters<ServerToClientEvents['trace:batch']>[0];
        for (const r of batch.requests) for (const s of r.steps) seen.add(s.seq);
        expect(batch.requests.map((r) => r.end.requestId)).toContain(first.end.requestId);
      }
    }
    expect(seen.size).toBe(LIVE_LIMIT + 4);
  });

  it('sends at most DETAIL_LIMIT requests in full per batch and counts the rest', () => {
    const { clock, sent, broadcaster } = setUp();
    for (let i = 0; i < 300; i++) {
      const { steps, end } = fakeRequest('jwt', 3);
      for (const step of steps) broadcaster.step('v', step);
      broadcaster.end('v', end);
    }
    clock.advance(2 * WINDOW_MS);
    for (const m of sent.filter((m) => m.event === 'trace:batch')) {
      const batch = m.payload as Parameters<ServerToClientEvents['trace:batch']>[0];
      expect(batch.requests.length).toBeLessThanOrEqual(DETAIL_LIMIT + 2 * LIVE_LIMIT);
    }
  });

  it('holds a bounded number of running requests and steps, and forgets a viewer once idle', () => {
    const { clock, broadcaster } = setUp();
    const running = Array.from({ length: PENDING_LIMIT * 3 }, () => fakeRequest('session', STEP_LIMIT * 2));
    for (const { steps } of running) for (const step of steps) broadcaster.step('v', step);
    expect(broadcaster.stats().buffered).toBeLessThanOrEqual(PENDING_LIMIT);
    for (const { end } of running) broadcaster.end('v', end);
    clock.advance(WINDOW_MS);
    expect(broadcaster.stats()).toMatchObject({ buffered: 0, complete: 0 });
    clock.advance(10 * WINDOW_MS);
    expect(broadcaster.stats()).toEqual({ viewers: 0, buffered: 0, complete: 0 });
  });

  it('drops a buffered request that never ends, after a while', () => {
    const { clock, broadcaster } = setUp();
    for (let i = 0; i < LIVE_LIMIT + 5; i++) broadcaster.step('v', fakeRequest('session', 1).steps[0]);
    expect(broadcaster.stats().buffered).toBe(5);
    clock.advance(70_000);
    expect(broadcaster.stats()).toEqual({ viewers: 0, buffered: 0, complete: 0 });
  });

  it('sends only the latest load progress, at most once per flush, and only to its viewer', () => {
    const { clock, sent, broadcaster } = setUp();
    for (let done = 1; done <= 500; done++) {
      broadcaster.progress('v', { done } as LoadProgress);
      if (done % 100 === 0) clock.advance(100);
    }
    clock.advance(WINDOW_MS);
    const progress = sent.filter((m) => m.event === 'load:progress');
    expect(progress.every((m) => m.viewerId === 'v')).toBe(true);
    expect((progress.at(-1)?.payload as LoadProgress).done).toBe(500);
    expect(maxInAnyWindow(progress.map((m) => m.at))).toBeLessThanOrEqual(WINDOW_MS / FLUSH_INTERVAL_MS);
  });

  it('keeps each viewer on its own budget', () => {
    const { sent, broadcaster } = setUp();
    for (let i = 0; i < 50; i++) {
      for (const viewer of ['a', 'b']) {
        const { steps, end } = fakeRequest('jwt', 2);
        for (const step of steps) broadcaster.step(viewer, step);
        broadcaster.end(viewer, end);
      }
    }
    for (const viewer of ['a', 'b']) {
      expect(sent.filter((m) => m.viewerId === viewer && m.event !== 'trace:batch').length).toBe(LIVE_LIMIT);
    }
  });
});

describe('trace:batch over a real socket', () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(async () => {
    await lab.stop();
  });

  it('a burst of 300 GET /api/session/me reaches the viewer as a few batches that account for every request', async () => {
    const client = new Client(lab.url);
    await client.becomeViewer();
    await client.login('session');
    const watcher = new Watcher(lab.url, client.cookieHeader);
    await watcher.connected();
    try {
      const ids: string[] = [];
      const startedAt = Date.now();
      const fire = async () => {
        for (let i = 0; i < 30; i++) {
          const res = await client.get('/api/session/me');
          expect(res.status).toBe(200);
          ids.push(res.headers.get('x-request-id')!);
        }
      };
      await Promise.all(Array.from({ length: 10 }, fire));
      const counted = () => {
        const full = new Set(watcher.ends.map((e) => e.requestId));
        const summarised = watcher.batches.reduce((n, b) => n + (b.summarised.session?.requests ?? 0), 0);
        return { full, summarised };
      };
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const { full, summarised } = counted();
        if (ids.filter((id) => full.has(id)).length + summarised >= ids.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const { full, summarised } = counted();
      expect(ids.filter((id) => full.has(id)).length + summarised).toBe(300);
      expect(watcher.batches.length).toBeGreaterThan(0);
      // each /me reads and touches the session: two lookups, whether sent in full or summarised
      const lookups =
        watcher.ends.filter((e) => ids.includes(e.requestId)).reduce((n, e) => n + e.lookups.sessionStore.reads + e.lookups.sessionStore.writes, 0) +
        watcher.batches.reduce((n, b) => n + (b.summarised.session ? b.summarised.session.lookups.sessionStore.reads + b.summarised.session.lookups.sessionStore.writes : 0), 0);
      expect(lookups).toBe(600);
      // At most 20 messages a second, however long the burst took on this machine (20 for each
      // second begun, plus one window for the last flush): far fewer than one per request.
      const lastAt = watcher.messageTimes.at(-1)!;
      const seconds = Math.ceil((lastAt - startedAt) / 1000) + 1;
      const during = watcher.messageTimes.filter((t) => t >= startedAt).length;
      expect(during).toBeLessThanOrEqual(20 * seconds);
      // and the summaries stood in for the steps of many requests, which were never sent
      const perRequest = Math.max(...ids.map((id) => watcher.stepsOf(id).length));
      expect(perRequest).toBeGreaterThan(1);
      expect(watcher.steps.length).toBeLessThan(300 * perRequest);
    } finally {
      watcher.close();
    }
  });
});
