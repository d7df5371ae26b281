// The dashboard's state and the pure functions that change it. Only <lab-app> holds a LabState;
// every element below it gets slices of it as properties. Nothing here touches the DOM, so the
// bounding rules can be unit-tested in Node.
import type {
  Flow,
  LabSettings,
  LookupCounts,
  LookupKind,
  PublicUser,
  TraceBatch,
  TraceEnd,
  TraceStep,
} from '../server/protocol.js';

/** How many requests each lane remembers: the page's memory must not grow with use. */
export const HISTORY_LIMIT = 50;
/** A request never has this many steps; the cap only guards against a runaway stream. */
export const STEP_LIMIT = 200;

export const LOOKUP_KINDS: readonly LookupKind[] = ['sessionStore', 'userDb', 'denylist'];

export const FLOWS: readonly Flow[] = ['session', 'jwt'];

/** One traced request, built from its trace events and from the fetch that sent it, whichever comes first. */
export interface RequestRecord {
  requestId: string;
  flow: Flow;
  action: string | null; // what the person clicked, e.g. 'Who am I?'
  method: string | null;
  path: string | null;
  status: number | null;
  steps: TraceStep[];
  end: TraceEnd | null;
  settings: LabSettings | null; // the lab settings in force when the request began
}

export interface Answer {
  status: number; // 0: the request never reached the server
  text: string;
}

export interface LaneState {
  user: PublicUser | null;
  busy: boolean;
  answer: Answer | null;
  history: RequestRecord[]; // newest first, at most HISTORY_LIMIT
  selectedId: string | null; // the request the timeline shows; null: none yet
  totals: { requests: number; lookups: LookupCounts };
}

export type Lanes = Record<Flow, LaneState>;

export function emptyCounts(): LookupCounts {
  return {
    sessionStore: { reads: 0, writes: 0 },
    userDb: { reads: 0, writes: 0 },
    denylist: { reads: 0, writes: 0 },
  };
}

export function emptyLane(): LaneState {
  return { user: null, busy: false, answer: null, history: [], selectedId: null, totals: { requests: 0, lookups: emptyCounts() } };
}

export function emptyLanes(): Lanes {
  return { session: emptyLane(), jwt: emptyLane() };
}

/** Store calls of a request, reads and writes of every kind together. */
export function totalLookups(counts: LookupCounts): number {
  return LOOKUP_KINDS.reduce((sum, kind) => sum + counts[kind].reads + counts[kind].writes, 0);
}

/** The request the lane's timeline shows. */
export function selectedRecord(lane: LaneState): RequestRecord | null {
  return lane.history.find((r) => r.requestId === lane.selectedId) ?? lane.history[0] ?? null;
}

// Returns the lane with `requestId`'s record replaced by `change(record)`. A record not seen yet is
// created as the newest, selected, and the oldest one falls off the end.
function withRecord(
  lane: LaneState,
  flow: Flow,
  requestId: string,
  settings: LabSettings | null,
  change: (record: RequestRecord) => RequestRecord,
): LaneState {
  const index = lane.history.findIndex((r) => r.requestId === requestId);
  if (index >= 0) {
    const history = lane.history.slice();
    history[index] = change(lane.history[index]);
    return { ...lane, history };
  }
  const fresh: RequestRecord = {
    requestId, flow, action: null, method: null, path: null, status: null, steps: [], end: null, settings,
  };
  const history = [change(fresh), ...lane.history].slice(0, HISTORY_LIMIT);
  return { ...lane, history, selectedId: requestId };
}

/** A `trace:step` arrived: add it to its request, in `seq` order. */
export function applyStep(lanes: Lanes, step: TraceStep, settings: LabSettings | null): Lanes {
  const lane = withRecord(lanes[step.flow], step.flow, step.requestId, settings, (record) => {
    if (record.steps.length >= STEP_LIMIT || record.steps.some((s) => s.seq === step.seq)) return record;
    const steps = [...record.steps, step].sort((a, b) => a.seq - b.seq);
    return { ...record, steps };
  });
  return { ...lanes, [step.flow]: lane };
}

/** A `trace:end` arrived: the request is complete; count its lookups into the lane's totals once. */
export function applyEnd(lanes: Lanes, end: TraceEnd, settings: LabSettings | null): Lanes {
  const before = lanes[end.flow];
  const counted = Boolean(before.history.find((r) => r.requestId === end.requestId)?.end);
  let lane = withRecord(before, end.flow, end.requestId, settings, (record) => ({
    ...record,
    end,
    method: end.method,
    path: end.path,
    status: end.status,
  }));
  if (!counted) {
    const lookups = emptyCounts();
    for (const kind of LOOKUP_KINDS) {
      lookups[kind].reads = lane.totals.lookups[kind].reads + end.lookups[kind].reads;
      lookups[kind].writes = lane.totals.lookups[kind].writes + end.lookups[kind].writes;
    }
    lane = { ...lane, totals: { requests: lane.totals.requests + 1, lookups } };
  }
  return { ...lanes, [end.flow]: lane };
}

/**
 * A `trace:batch` arrived (the server batches under a burst): its requests in full, oldest first,
 * and the rest only counted, per flow, into the lanes' totals.
 */
export function applyBatch(lanes: Lanes, batch: TraceBatch, settings: LabSettings | null): Lanes {
  let next = lanes;
  for (const { steps, end } of batch.requests) {
    for (const step of steps) next = applyStep(next, step, settings);
    next = applyEnd(next, end, settings);
  }
  for (const flow of FLOWS) {
    const summary = batch.summarised[flow];
    if (!summary) continue;
    const totals = next[flow].totals;
    const lookups = emptyCounts();
    for (const kind of LOOKUP_KINDS) {
      lookups[kind].reads = totals.lookups[kind].reads + summary.lookups[kind].reads;
      lookups[kind].writes = totals.lookups[kind].writes + summary.lookups[kind].writes;
    }
    next = updateLane(next, flow, { totals: { requests: totals.requests + summary.requests, lookups } });
  }
  return next;
}

/** The fetch that sent a traced request has its answer: name the request after the click. */
export function applyResponse(
  lanes: Lanes,
  flow: Flow,
  response: { requestId: string; method: string; path: string; status: number; action: string },
  settings: LabSettings | null,
): Lanes {
  const lane = withRecord(lanes[flow], flow, response.requestId, settings, (record) => ({
    ...record,
    action: response.action,
    method: record.method ?? response.method,
    path: record.path ?? response.path,
    status: record.status ?? response.status,
  }));
  return { ...lanes, [flow]: lane };
}

export function updateLane(lanes: Lanes, flow: Flow, change: Partial<LaneState>): Lanes {
  return { ...lanes, [flow]: { ...lanes[flow], ...change } };
}

/** The lookups of a request: from its end when it has one, else counted from the steps so far. */
export function recordLookups(record: RequestRecord): LookupCounts {
  if (record.end) return record.end.lookups;
  const counts = emptyCounts();
  for (const step of record.steps) {
    if (step.lookup) counts[step.lookup.kind][step.lookup.write ? 'writes' : 'reads']++;
  }
  return counts;
}
