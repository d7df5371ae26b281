// Sends each trace's events to the sockets of the viewer whose request it was, and no one else.
//
// A click streams its steps one message each, as they happen. A burst (a load run, a script) would
// send thousands of messages a second and freeze the dashboard, so each viewer has a budget: at most
// LIVE_LIMIT live messages in any one-second window; past that, its requests are buffered and sent
// every FLUSH_INTERVAL_MS as one `trace:batch` (the newest requests in full, the rest added up per
// flow), next to at most one `load:progress`. That caps a viewer at 20 messages a second, and
// everything buffered per viewer is bounded, so a long run leaves no growing history behind.
import { performance } from 'node:perf_hooks';
import type { Server } from 'socket.io';
import type {
  ClientToServerEvents,
  Flow,
  LoadProgress,
  ServerToClientEvents,
  TraceBatch,
  TraceEnd,
  TraceStep,
  TraceSummary,
} from '../protocol.js';
import type { TraceSink } from './tracer.js';

export type LabIo = Server<ClientToServerEvents, ServerToClientEvents>;

export function viewerRoom(viewerId: string): string {
  return `viewer:${viewerId}`;
}

/** Live trace:step / trace:end messages a viewer may get in any one-second window. */
export const LIVE_LIMIT = 12;
export const WINDOW_MS = 1000;
/** At most one trace:batch and one load:progress this often: 8 more a second, 20 in all. */
export const FLUSH_INTERVAL_MS = 250;
/** Complete requests a batch sends in full; older ones in the same batch are only counted. */
export const DETAIL_LIMIT = 10;
/** Running requests buffered per viewer, and steps per request: a runaway cannot grow memory. */
export const PENDING_LIMIT = 256;
export const STEP_LIMIT = 64;
/** A buffered request that never ends (the client went away) is dropped after this long. */
const STALE_MS = 60_000;
const SWEEP_MS = 5_000;

type Emit = <E extends keyof ServerToClientEvents>(
  viewerId: string,
  event: E,
  payload: Parameters<ServerToClientEvents[E]>[0],
) => void;

export interface BroadcastClock {
  now(): number;
  /** Runs `work` after `ms`; returns a function that cancels it. */
  schedule(work: () => void, ms: number): () => void;
}

const realClock: BroadcastClock = {
  now: () => performance.now(),
  schedule: (work, ms) => {
    const timer = setTimeout(work, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

interface Buffered {
  steps: TraceStep[];
  since: number;
}

interface Complete {
  steps: TraceStep[];
  end: TraceEnd;
  streamed: boolean; // some of its steps went live
}

/** One viewer's budget and buffers. */
class ViewerChannel {
  readonly liveSentAt: number[] = []; // times of the last LIVE_LIMIT live messages, oldest first
  readonly buffered = new Map<string, Buffered>(); // running requests whose events wait for a batch
  readonly streamedLive = new Set<string>(); // running requests with a step already sent live
  readonly complete: Complete[] = []; // ended, waiting for the next batch, in the order they ended
  summarised: TraceBatch['summarised'] = {};
  progress: LoadProgress | null = null;
  lastFlushAt = Number.NEGATIVE_INFINITY;
  cancelFlush: (() => void) | null = null;
  lastActivity = 0;

  get idle(): boolean {
    return (
      this.buffered.size === 0 &&
      this.streamedLive.size === 0 &&
      this.complete.length === 0 &&
      this.progress === null &&
      Object.keys(this.summarised).length === 0 &&
      this.cancelFlush === null
    );
  }
}

export interface BroadcastStats {
  viewers: number;
  buffered: number;
  complete: number;
}

export class TraceBroadcaster implements TraceSink {
  private readonly channels = new Map<string, ViewerChannel>();
  private readonly endListeners = new Map<string, Set<(end: TraceEnd) => void>>();
  private cancelSweep: (() => void) | null = null;

  constructor(
    private readonly emit: Emit,
    private readonly clock: BroadcastClock = realClock,
  ) {}

  step(viewerId: string, step: TraceStep): void {
    const channel = this.channel(viewerId);
    const waiting = channel.buffered.get(step.requestId);
    if (waiting) {
      if (waiting.steps.length < STEP_LIMIT) waiting.steps.push(step);
      return;
    }
    if (this.takeLive(channel)) {
      channel.streamedLive.add(step.requestId);
      this.emit(viewerId, 'trace:step', step);
      return;
    }
    // Over budget: this request's events wait for the next batch (or, past the limit, only its end is counted).
    if (channel.buffered.size < PENDING_LIMIT) channel.buffered.set(step.requestId, { steps: [step], since: this.clock.now() });
    this.scheduleFlush(viewerId, channel);
  }

  end(viewerId: string, end: TraceEnd): void {
    for (const listener of this.endListeners.get(viewerId) ?? []) listener(end);
    const channel = this.channel(viewerId);
    const waiting = channel.buffered.get(end.requestId);
    const streamed = channel.streamedLive.delete(end.requestId);
    if (!waiting && this.takeLive(channel)) {
      this.emit(viewerId, 'trace:end', end);
      return;
    }
    channel.buffered.delete(end.requestId);
    if (streamed || waiting) this.keep(channel, { steps: waiting?.steps ?? [], end, streamed });
    else addToSummary(channel.summarised, end); // its steps were dropped past PENDING_LIMIT
    this.scheduleFlush(viewerId, channel);
  }

  /** A load run's progress: only the latest is kept, and sent with the next flush. */
  progress(viewerId: string, progress: LoadProgress): void {
    const channel = this.channel(viewerId);
    channel.progress = progress;
    this.scheduleFlush(viewerId, channel);
  }

  /** Calls `listener` with every trace end of this viewer's requests until the returned function is called. */
  watchEnds(viewerId: string, listener: (end: TraceEnd) => void): () => void {
    const listeners = this.endListeners.get(viewerId) ?? new Set();
    listeners.add(listener);
    this.endListeners.set(viewerId, listeners);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.endListeners.delete(viewerId);
    };
  }

  /** What the broadcaster holds right now (the bounded-history test reads it). */
  stats(): BroadcastStats {
    let buffered = 0;
    let complete = 0;
    for (const channel of this.channels.values()) {
      buffered += channel.buffered.size;
      complete += channel.complete.length;
    }
    return { viewers: this.channels.size, buffered, complete };
  }

  /** Forgets idle viewers and requests that never ended; runs by itself every few seconds. */
  sweep(): void {
    const now = this.clock.now();
    for (const [viewerId, channel] of this.channels) {
      for (const [requestId, waiting] of channel.buffered) {
        if (now - waiting.since > STALE_MS) channel.buffered.delete(requestId);
      }
      if (channel.streamedLive.size > 0 && now - channel.lastActivity > STALE_MS) channel.streamedLive.clear();
      // Keep a channel while its live window is open, or a returning viewer would get a fresh budget.
      if (channel.idle && now - channel.lastActivity > WINDOW_MS) this.channels.delete(viewerId);
    }
  }

  close(): void {
    for (const channel of this.channels.values()) channel.cancelFlush?.();
    this.channels.clear();
    this.cancelSweep?.();
    this.cancelSweep = null;
  }

  private channel(viewerId: string): ViewerChannel {
    let channel = this.channels.get(viewerId);
    if (!channel) {
      channel = new ViewerChannel();
      this.channels.set(viewerId, channel);
      this.startSweeping();
    }
    channel.lastActivity = this.clock.now();
    return channel;
  }

  // True, and counted, when one more live message fits in the viewer's one-second window.
  private takeLive(channel: ViewerChannel): boolean {
    const now = this.clock.now();
    const sent = channel.liveSentAt;
    if (sent.length >= LIVE_LIMIT && now - sent[0] < WINDOW_MS) return false;
    if (sent.length >= LIVE_LIMIT) sent.shift();
    sent.push(now);
    return true;
  }

  // Only the newest DETAIL_LIMIT requests go in full; an older one is counted instead. Requests the
  // page has partly seen (a step went live) are finished in full, within their own bound.
  private keep(channel: ViewerChannel, complete: Complete): void {
    channel.complete.push(complete);
    // Counted by hand, not with filter(): this runs once per request during a burst.
    let same = 0;
    for (const c of channel.complete) if (c.streamed === complete.streamed) same++;
    if (same <= (complete.streamed ? 2 * LIVE_LIMIT : DETAIL_LIMIT)) return;
    const oldest = channel.complete.findIndex((c) => c.streamed === complete.streamed);
    addToSummary(channel.summarised, channel.complete.splice(oldest, 1)[0].end);
  }

  private scheduleFlush(viewerId: string, channel: ViewerChannel): void {
    if (channel.cancelFlush) return;
    const wait = Math.max(0, channel.lastFlushAt + FLUSH_INTERVAL_MS - this.clock.now());
    channel.cancelFlush = this.clock.schedule(() => this.flush(viewerId, channel), wait);
  }

  private flush(viewerId: string, channel: ViewerChannel): void {
    channel.cancelFlush = null;
    channel.lastFlushAt = this.clock.now();
    if (channel.complete.length > 0 || Object.keys(channel.summarised).length > 0) {
      const batch: TraceBatch = {
        requests: channel.complete.splice(0).map(({ steps, end }) => ({ steps, end })),
        summarised: channel.summarised,
      };
      channel.summarised = {};
      this.emit(viewerId, 'trace:batch', batch);
    }
    if (channel.progress) {
      const progress = channel.progress;
      channel.progress = null;
      this.emit(viewerId, 'load:progress', progress);
    }
  }

  private startSweeping(): void {
    if (this.cancelSweep) return;
    const tick = () => {
      this.sweep();
      this.cancelSweep = this.channels.size > 0 ? this.clock.schedule(tick, SWEEP_MS) : null;
    };
    this.cancelSweep = this.clock.schedule(tick, SWEEP_MS);
  }
}

export function emptySummary(): TraceSummary {
  return {
    requests: 0,
    lookups: { sessionStore: { reads: 0, writes: 0 }, userDb: { reads: 0, writes: 0 }, denylist: { reads: 0, writes: 0 } },
    durationMs: { total: 0, max: 0 },
    statuses: {},
  };
}

/** Counts one ended request into its flow's summary. */
export function addToSummary(summaries: Partial<Record<Flow, TraceSummary>>, end: TraceEnd): void {
  const summary = (summaries[end.flow] ??= emptySummary());
  summary.requests++;
  for (const kind of Object.keys(summary.lookups) as (keyof TraceSummary['lookups'])[]) {
    summary.lookups[kind].reads += end.lookups[kind]?.reads ?? 0;
    summary.lookups[kind].writes += end.lookups[kind]?.writes ?? 0;
  }
  summary.durationMs.total += end.durationMs;
  summary.durationMs.max = Math.max(summary.durationMs.max, end.durationMs);
  summary.statuses[end.status] = (summary.statuses[end.status] ?? 0) + 1;
}

export function createBroadcastSink(io: LabIo, clock?: BroadcastClock): TraceBroadcaster {
  return new TraceBroadcaster((viewerId, event, payload) => {
    (io.to(viewerRoom(viewerId)).emit as (e: string, p: unknown) => boolean)(event, payload);
  }, clock);
}
