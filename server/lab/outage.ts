// The store outage switch. Pulling the plug on the real SQLite file (or Redis) would take the lab
// down for every viewer, so the outage is per viewer: while this viewer's `storeOutage` setting is
// on, every call its requests make to the session store — and to the denylist and refresh tokens,
// which live in the same store — fails the way a closed database does. The counting layer above
// turns that into StoreUnavailableError (503), exactly as for a real failure. Turning the switch
// off is a restore: the rows were never touched, so the session lane recovers without a restart.
import session from 'express-session';
import { currentTrace } from '../trace/tracer.js';

export class StoreOutageError extends Error {
  override name = 'StoreOutageError';
  constructor() {
    super('The session store is down (the lab outage switch is on for this viewer).');
  }
}

export function storeIsDown(): boolean {
  return currentTrace()?.settings.storeOutage === true;
}

type Cb<T = void> = (err?: unknown, value?: T) => void;

/** An express-session Store that fails every call while the current viewer's outage is on. */
export class OutageSessionStore extends session.Store {
  constructor(readonly inner: session.Store) {
    super();
    inner.on('connect', () => this.emit('connect'));
    inner.on('disconnect', () => this.emit('disconnect'));
  }

  override get(sid: string, callback: Cb<session.SessionData | null>): void {
    if (storeIsDown()) return fail(callback);
    this.inner.get(sid, callback);
  }

  override set(sid: string, data: session.SessionData, callback?: Cb): void {
    if (storeIsDown()) return fail(callback);
    this.inner.set(sid, data, callback);
  }

  override touch(sid: string, data: session.SessionData, callback?: Cb): void {
    if (storeIsDown()) return fail(callback);
    if (this.inner.touch) this.inner.touch(sid, data, callback);
    else callback?.();
  }

  override destroy(sid: string, callback?: Cb): void {
    if (storeIsDown()) return fail(callback);
    this.inner.destroy(sid, callback);
  }
}

function fail(callback: Cb<never> | undefined): void {
  queueMicrotask(() => callback?.(new StoreOutageError()));
}

/** The same switch around a promise store (denylist, refresh tokens): each method rejects while down. */
export function withOutage<T extends object>(target: T): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (storeIsDown()) return Promise.reject(new StoreOutageError());
        return (value as (...a: unknown[]) => unknown).apply(obj, args);
      };
    },
  });
}
