// The counting decorators. Each wraps a real store; every call made through it is recorded on the
// current request's trace as one step with a `lookup` (kind, op, read or write), after waiting the
// simulated round-trip (STORE_LATENCY_MS or the viewer's latency setting). A failing store becomes a
// StoreUnavailableError, so the request fails closed with 503 instead of crashing.
import { setTimeout as sleep } from 'node:timers/promises';
import session from 'express-session';
import type { LookupKind } from '../protocol.js';
import { StoreUnavailableError } from '../errors.js';
import { currentTrace } from './tracer.js';
import type { StepName } from './steps.js';

export interface CountOptions {
  /** Simulated round-trip for calls made outside any traced request. */
  defaultLatencyMs: number;
}

const STORE_NAMES: Record<LookupKind, string> = {
  sessionStore: 'session store',
  userDb: 'user database',
  denylist: 'token denylist',
};

function latencyFor(options: CountOptions): number {
  return currentTrace()?.settings.latencyMs ?? options.defaultLatencyMs;
}

interface OpSpec {
  step: StepName;
  write: boolean;
}

/**
 * Wraps the promise-returning methods named in `ops`; each call is one counted lookup of `kind`.
 * `detail` turns a call's arguments and result into what the trace shows (never a secret).
 */
export function countPromiseStore<T extends object>(
  kind: LookupKind,
  target: T,
  ops: { [K in keyof T]?: OpSpec & { detail?: (args: unknown[], result: unknown) => Record<string, string | number | boolean | null> } },
  options: CountOptions,
): T {
  const counted = Object.create(target) as T;
  for (const key of Object.keys(ops) as (keyof T & string)[]) {
    const spec = ops[key];
    if (!spec || typeof target[key] !== 'function') continue;
    const call = async (...args: unknown[]) => {
      const trace = currentTrace();
      const startMs = trace?.now() ?? 0;
      const latency = latencyFor(options);
      if (latency > 0) await sleep(latency);
      let result: unknown;
      try {
        // looked up per call, so a spy installed on the real store later still sees every call
        result = await (target[key] as (...a: unknown[]) => unknown).apply(target, args);
      } catch (err) {
        trace?.record(spec.step, startMs, { failed: true }, { kind, op: key, write: spec.write });
        throw new StoreUnavailableError(STORE_NAMES[kind], { cause: err });
      }
      trace?.record(spec.step, startMs, withLatency(spec.detail?.(args, result), latency), {
        kind,
        op: key,
        write: spec.write,
      });
      return result;
    };
    Object.defineProperty(counted, key, { value: call, enumerable: true });
  }
  return counted;
}

function withLatency(detail: Record<string, string | number | boolean | null> | undefined, latency: number) {
  return latency > 0 ? { ...detail, simulatedLatencyMs: latency } : detail;
}

type Cb<T = void> = (err?: unknown, value?: T) => void;

const SESSION_OPS = {
  get: { step: 'session.store.get', write: false },
  set: { step: 'session.store.set', write: true },
  touch: { step: 'session.store.touch', write: true },
  destroy: { step: 'session.store.destroy', write: true },
} as const satisfies Record<string, OpSpec>;

/** An express-session Store that forwards to a real store and counts each call as a sessionStore lookup. */
export class CountedSessionStore extends session.Store {
  constructor(
    readonly inner: session.Store,
    private readonly options: CountOptions,
  ) {
    super();
    // express-session marks the store unusable while the inner one reports it is disconnected.
    inner.on('connect', () => this.emit('connect'));
    inner.on('disconnect', () => this.emit('disconnect'));
  }

  override get(sid: string, callback: Cb<session.SessionData | null>): void {
    this.call('get', sid, (done) => this.inner.get(sid, done), callback, (data) => ({ found: Boolean(data) }));
  }

  override set(sid: string, data: session.SessionData, callback?: Cb): void {
    this.call('set', sid, (done) => this.inner.set(sid, data, done), callback);
  }

  override touch(sid: string, data: session.SessionData, callback?: Cb): void {
    const inner = this.inner;
    if (!inner.touch) {
      callback?.();
      return;
    }
    this.call('touch', sid, (done) => inner.touch!(sid, data, done), callback);
  }

  override destroy(sid: string, callback?: Cb): void {
    this.call('destroy', sid, (done) => this.inner.destroy(sid, done), callback);
  }

  private call<T>(
    op: keyof typeof SESSION_OPS,
    sid: string,
    invoke: (done: Cb<T>) => void,
    callback: Cb<T> | undefined,
    describe?: (value: T | undefined) => Record<string, boolean>,
  ): void {
    const trace = currentTrace();
    const startMs = trace?.now() ?? 0;
    const latency = latencyFor(this.options);
    const spec = SESSION_OPS[op];
    const lookup = { kind: 'sessionStore', op, write: spec.write } as const;
    const run = () => {
      let answered = false;
      const done: Cb<T> = (err, value) => {
        if (answered) return;
        answered = true;
        if (err) {
          trace?.record(spec.step, startMs, { sid: shortId(sid), failed: true }, lookup);
          callback?.(new StoreUnavailableError(STORE_NAMES.sessionStore, { cause: err }));
          return;
        }
        trace?.record(spec.step, startMs, withLatency({ sid: shortId(sid), ...describe?.(value) }, latency), lookup);
        callback?.(null, value);
      };
      try {
        invoke(done);
      } catch (err) {
        done(err);
      }
    };
    if (latency > 0) setTimeout(run, latency);
    else run();
  }
}

/** Enough of a session ID to tell two apart in the timeline, not enough to use. */
export function shortId(sid: string): string {
  return `${sid.slice(0, 6)}…`;
}
