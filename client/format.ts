// Small formatters shared by the elements.
import type { LookupKind } from '../server/protocol.js';

/** Milliseconds, precise when small: 0.042 ms, 3.18 ms, 412 ms. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(3)} ms`;
  if (ms < 100) return `${ms.toFixed(2)} ms`;
  return `${Math.round(ms)} ms`;
}

export const KIND_NAMES: Record<LookupKind, string> = {
  sessionStore: 'Session store',
  userDb: 'User database',
  denylist: 'JWT denylist',
};

export const FLOW_NAMES = { session: 'Session', jwt: 'JWT' } as const;
