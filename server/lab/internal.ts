// Requests the lab sends to itself (attack scenarios, load runs) log in with the demo accounts many
// times a minute from 127.0.0.1. They carry a token only this process knows, so the login guard can
// leave them out of the per-address limit (they are not someone guessing passwords) while failed
// tries still count against the account. Under WORKERS > 1 another worker does not know the token,
// so those requests are limited like any other.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const INTERNAL_HEADER = 'x-lab-internal';
const TOKEN = randomBytes(24).toString('base64url');

/** The header to add to a request the lab sends to itself. */
export function internalHeaders(): Record<string, string> {
  return { [INTERNAL_HEADER]: TOKEN };
}

export function isInternalRequest(req: IncomingMessage): boolean {
  const given = req.headers[INTERNAL_HEADER];
  if (typeof given !== 'string' || given.length !== TOKEN.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(TOKEN));
}
