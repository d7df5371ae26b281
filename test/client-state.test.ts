// The dashboard's state rules (client/state.ts), which hold no DOM and so run here in Node: history
// is bounded, events for one request merge whatever order they come in, totals count each request once.
import { describe, expect, it } from 'vitest';
import type { LookupCounts, TraceEnd, TraceStep } from '../server/protocol.js';
import {
  HISTORY_LIMIT,
  applyBatch,
  applyEnd,
  applyResponse,
  applyStep,
  emptyCounts,
  emptyLanes,
  recordLookups,
  selectedRecord,
} from '../client/state.js';

const step = (requestId: string, seq: number, lookup?: TraceStep['lookup']): TraceStep => ({
  requestId,
  flow: 'session',
  seq,
  name: 'session.store.get',
  label: 'Look the session up',
  atMs: seq,
  durationMs: 1,
  doc: 'docs/session-flow.md#read-the-session',
  source: 'server/session/store.ts',
  ...(lookup ? { lookup } : {}),
});

const counts = (reads: number, writes = 0): LookupCounts => ({ ...emptyCounts(), sessionStore: { reads, writes } });

const end = (requestId: string, lookups = counts(1)): TraceEnd => ({
  requestId,
  flow: 'session',
  method: 'GET',
  path: '/api/session/me',
  status: 200,
  durationMs: 3,
  lookups,
});

describe('dashboard state', () => {
  it(`keeps at most ${HISTORY_LIMIT} requests per lane, newest first, while totals keep counting`, () => {
    let lanes = emptyLanes();
    for (let i = 0; i < HISTORY_LIMIT + 25; i++) lanes = applyEnd(lanes, end(`r${i}`), null);
    const history = lanes.session.history;
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(history[0]?.requestId).toBe(`r${HISTORY_LIMIT + 24}`);
    expect(lanes.session.totals.requests).toBe(HISTORY_LIMIT + 25);
    expect(lanes.session.totals.lookups.sessionStore.reads).toBe(HISTORY_LIMIT + 25);
    expect(lanes.jwt.history).toHaveLength(0);
  });

  it('merges a request from its steps, its end and its fetch answer, in any order, and selects it', () => {
    let lanes = emptyLanes();
    lanes = applyStep(lanes, step('a', 1, { kind: 'sessionStore', op: 'get', write: false }), null);
    lanes = applyResponse(lanes, 'session', { requestId: 'a', method: 'GET', path: '/api/session/me', status: 200, action: 'Who am I?' }, null);
    expect(recordLookups(lanes.session.history[0]!).sessionStore.reads).toBe(1); // counted from the steps so far
    lanes = applyStep(lanes, step('a', 0), null);
    lanes = applyStep(lanes, step('a', 0), null); // a repeat is ignored
    lanes = applyEnd(lanes, end('a', counts(1)), null);
    lanes = applyEnd(lanes, end('a', counts(1)), null); // counted once
    const record = selectedRecord(lanes.session)!;
    expect(lanes.session.history).toHaveLength(1);
    expect(record.steps.map((s) => s.seq)).toEqual([0, 1]);
    expect(record.action).toBe('Who am I?');
    expect(record.end?.status).toBe(200);
    expect(lanes.session.totals).toEqual({ requests: 1, lookups: counts(1) });
  });

  it('applies a trace:batch: requests in full, the summarised rest only into the totals', () => {
    const lanes = applyBatch(
      emptyLanes(),
      {
        requests: [{ steps: [step('b', 0)], end: end('b', counts(1, 1)) }],
        summarised: {
          session: { requests: 10, lookups: counts(20, 5), durationMs: { total: 30, max: 4 }, statuses: { '200': 10 } },
        },
      },
      null,
    );
    expect(lanes.session.history.map((r) => r.requestId)).toEqual(['b']);
    expect(lanes.session.totals).toEqual({ requests: 11, lookups: counts(21, 6) });
  });
});
