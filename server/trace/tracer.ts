// The tracer: one Trace per /api/session or /api/jwt request, reachable from anywhere in that
// request's async work through AsyncLocalStorage, so stores and strategies can record steps
// without being handed the request.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Flow, LabSettings, Lookup, LookupCounts, TraceEnd, TraceStep } from '../protocol.js';
import { STEPS, stepDoc, type StepName } from './steps.js';

/** Where a trace's events go: the broadcaster sends them to the viewer's room. */
export interface TraceSink {
  step(viewerId: string, step: TraceStep): void;
  end(viewerId: string, end: TraceEnd): void;
}

type Detail = TraceStep['detail'];

const storage = new AsyncLocalStorage<Trace>();

/** The trace of the request whose async work is running now, if any. */
export function currentTrace(): Trace | undefined {
  return storage.getStore();
}

export function emptyLookupCounts(): LookupCounts {
  return {
    sessionStore: { reads: 0, writes: 0 },
    userDb: { reads: 0, writes: 0 },
    denylist: { reads: 0, writes: 0 },
  };
}

export class Trace {
  readonly steps: TraceStep[] = [];
  readonly lookups = emptyLookupCounts();
  private readonly startedAt = performance.now();
  private seq = 0;
  // The time already claimed by recorded steps, as sorted disjoint [start, end] pairs. A step owns
  // only the part of its interval that no earlier-recorded step covers: a `measure` does not count
  // the store calls inside it, and a store call that was in flight while the headers were written
  // (express-session's touch) does not count response.send again. So the steps never add up to
  // more than the request, and what they leave out is reported as the end's `untracedMs`.
  private covered: number[] = [];
  // The tracer's own bookkeeping for this request, reported as the end's `tracerMs`.
  private ownMs = 0;

  constructor(
    readonly flow: Flow,
    readonly viewerId: string | null,
    readonly settings: LabSettings,
    private readonly sink: TraceSink | null,
    readonly requestId: string = randomUUID(),
  ) {}

  /** Milliseconds since the request began (high-resolution clock). */
  now(): number {
    return performance.now() - this.startedAt;
  }

  /** Records a step that began at `startMs` (from `now()`) and ends now. */
  record(name: StepName, startMs: number, detail?: Detail, lookup?: Lookup): TraceStep {
    const endMs = this.now();
    const durationMs = this.claim(startMs, endMs);
    const step: TraceStep = {
      requestId: this.requestId,
      flow: this.flow,
      seq: this.seq++,
      name,
      label: STEPS[name].label,
      atMs: startMs,
      durationMs,
      doc: stepDoc(name, this.flow),
      source: STEPS[name].source,
    };
    if (lookup) {
      step.lookup = lookup;
      const counts = this.lookups[lookup.kind];
      if (lookup.write) counts.writes++;
      else counts.reads++;
    }
    if (detail) step.detail = detail;
    this.steps.push(step);
    if (this.viewerId && this.sink) this.sink.step(this.viewerId, step);
    this.ownMs += this.now() - endMs;
    return step;
  }

  /** Adds [startMs, endMs] to the covered time; returns how much of it no earlier step had covered. */
  private claim(startMs: number, endMs: number): number {
    const start = Math.min(Math.max(0, startMs), endMs);
    let overlap = 0;
    let mergedStart = start;
    let mergedEnd = endMs;
    const next: number[] = [];
    for (let i = 0; i < this.covered.length; i += 2) {
      const s = this.covered[i];
      const e = this.covered[i + 1];
      if (e < start || s > endMs) {
        next.push(s, e);
        continue;
      }
      overlap += Math.max(0, Math.min(e, endMs) - Math.max(s, start));
      mergedStart = Math.min(mergedStart, s);
      mergedEnd = Math.max(mergedEnd, e);
    }
    let at = 0;
    while (at < next.length && next[at] < mergedStart) at += 2;
    next.splice(at, 0, mergedStart, mergedEnd);
    this.covered = next;
    return endMs - start - overlap;
  }

  /**
   * Runs `work` as one step. Steps recorded while it runs (store calls, say) are not counted again
   * in its duration, so it reports only its own work.
   */
  async measure<T>(name: StepName, work: () => Promise<T>, detail?: (result: T) => Detail): Promise<T> {
    const startMs = this.now();
    let result: T | undefined;
    let failed = true;
    try {
      result = await work();
      failed = false;
      return result;
    } finally {
      const shown = failed ? { failed: true } : detail?.(result as T);
      this.record(name, startMs, shown);
    }
  }

  finish(method: string, path: string, status: number, worker?: number): TraceEnd {
    const durationMs = this.now();
    let coveredMs = 0;
    for (let i = 0; i < this.covered.length; i += 2) coveredMs += Math.min(this.covered[i + 1], durationMs) - this.covered[i];
    const end: TraceEnd = {
      requestId: this.requestId,
      flow: this.flow,
      method,
      path,
      status,
      durationMs,
      lookups: this.lookups,
      untracedMs: Math.max(0, durationMs - coveredMs),
      tracerMs: this.ownMs,
    };
    if (worker !== undefined) end.worker = worker;
    if (this.viewerId && this.sink) this.sink.end(this.viewerId, end);
    return end;
  }
}

export interface TracerOptions {
  flow: Flow;
  sink: TraceSink | null;
  settingsFor: (viewerId: string | null) => LabSettings;
  worker?: number;
}

/**
 * Starts a trace for each request of one flow: sends its id as X-Request-Id, the steps finished
 * before the headers as Server-Timing, and the trace's end when the response has finished.
 */
export function traceRequests({ flow, sink, settingsFor, worker }: TracerOptions): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    // the id every /api answer already carries (server/app.ts) becomes the trace's
    const id = res.getHeader('X-Request-Id');
    const trace = new Trace(flow, req.viewerId, settingsFor(req.viewerId), sink, typeof id === 'string' ? id : undefined);
    if (id === undefined) res.setHeader('X-Request-Id', trace.requestId);
    hookHeaders(res, trace);
    res.once('finish', () => trace.finish(req.method, req.originalUrl.split('?')[0] ?? '', res.statusCode, worker));
    storage.run(trace, next);
  };
}

// Server-Timing must be set before the head is written, so wrap writeHead for this response.
function hookHeaders(res: Response, trace: Trace): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: Response, ...args: unknown[]) {
    const startMs = trace.now();
    if (!res.headersSent) res.setHeader('Server-Timing', serverTiming(trace.steps));
    const result = (writeHead as (...a: unknown[]) => Response).apply(this, args);
    trace.record('response.send', startMs, { status: res.statusCode });
    return result;
  } as Response['writeHead'];
}

// Each step's `desc` is the same on every request: quote it once, not once per request.
const TIMING_DESC = new Map<string, string>(
  Object.entries(STEPS).map(([name, info]) => [name, `desc="${info.label.replace(/["\\]/g, '')}"`]),
);

function serverTiming(steps: readonly TraceStep[]): string {
  let header = '';
  for (const s of steps) {
    header += `${header ? ', ' : ''}${s.name};dur=${s.durationMs.toFixed(3)};${TIMING_DESC.get(s.name) ?? ''}`;
  }
  return header;
}
