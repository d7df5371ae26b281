// Requests the lab sends to itself (attack scenarios, load runs) log in with the demo accounts many
// times a minute from 127.0.0.1. They carry a token only this process knows, so the login guard can
// leave them out of the per-address limit (they are not someone guessing passwords) while failed
// tries still count against the account. Under WORKERS > 1 the primary makes the token and hands it
// to every worker it forks (a scenario's request may come back to another worker).
import cluster from 'node:cluster';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const INTERNAL_HEADER = 'x-lab-internal';
const TOKEN_ENV = 'LAB_INTERNAL_TOKEN';

/** A new token for a cluster's workers: the primary passes it in their environment. */
export function newInternalToken(): Record<string, string> {
  return { [TOKEN_ENV]: randomBytes(24).toString('base64url') };
}

function ownToken(): string {
  const given = cluster.isWorker ? process.env[TOKEN_ENV] : undefined;
  delete process.env[TOKEN_ENV]; // not passed on to anything this process starts
  return given && given.length >= 32 ? given : randomBytes(24).toString('base64url');
}

const TOKEN = ownToken();

/** The header to add to a request the lab sends to itself. */
export function internalHeaders(): Record<string, string> {
  return { [INTERNAL_HEADER]: TOKEN };
}

export function isInternalRequest(req: IncomingMessage): boolean {
  const given = req.headers[INTERNAL_HEADER];
  if (typeof given !== 'string' || given.length !== TOKEN.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(TOKEN));
}
