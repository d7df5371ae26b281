// The login steps both flows share: check the body, limit the tries, and the passport-local
// strategy that finds the user and checks the password.
import type { NextFunction, Request, Response } from 'express';
import { Strategy as LocalStrategy } from 'passport-local';
import { HttpError } from './errors.js';
import type { PublicUser } from './protocol.js';
import { isInternalRequest } from './lab/internal.js';
import { RateLimiter, type LimitRule } from './rate-limit.js';
import { currentTrace } from './trace/tracer.js';
import { toPublicUser, verifyPassword, type UserRecord, type UserRepository } from './users.js';

export interface LoginLimits {
  perAccount: LimitRule; // failed tries per username
  perAddress: LimitRule; // all tries per client address
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perAccount: { limit: 5, windowMs: 60_000 },
  perAddress: { limit: 30, windowMs: 60_000 },
};

export const BAD_CREDENTIALS = 'That username and password do not match an account.';

/**
 * The passport-local strategy: one user lookup, one scrypt comparison, the same answer for a wrong
 * name or password. `toUser` decides what passport is handed: the public user, or (original-post
 * mode only) the whole database row, hash included.
 */
export function createLocalStrategy(
  users: UserRepository,
  toUser: (record: UserRecord) => Express.User = toPublicUser,
): LocalStrategy {
  return new LocalStrategy(async (username, password, done) => {
    try {
      const user = await users.findByUsername(username);
      const trace = currentTrace();
      const ok = trace
        ? await trace.measure('password.verify', () => verifyPassword(password, user?.passwordHash), (match) => ({ match }))
        : await verifyPassword(password, user?.passwordHash);
      if (!user || !ok) return done(null, false, { message: BAD_CREDENTIALS });
      return done(null, toUser(user));
    } catch (err) {
      return done(err);
    }
  });
}

/**
 * Checks the body is `{ username, password }` of sane strings and that neither the account nor
 * the address has used up its tries. Call `result(req, ok)` after the password check.
 */
export function createLoginGuard(limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
  const accounts = new RateLimiter(limits.perAccount);
  const addresses = new RateLimiter(limits.perAddress);

  const guard = (req: Request, _res: Response, next: NextFunction): void => {
    const trace = currentTrace();
    let startMs = trace?.now() ?? 0;
    const body: unknown = req.body;
    const credentials = readCredentials(body);
    trace?.record('login.validate', startMs, { valid: credentials !== null });
    if (!credentials) {
      throw new HttpError(400, 'Send a JSON body with a username and a password, both non-empty strings of up to 200 characters.');
    }
    startMs = trace?.now() ?? 0;
    const account = credentials.username.toLowerCase();
    const address = isInternalRequest(req) ? null : (req.socket.remoteAddress ?? 'unknown');
    const wait = Math.max(accounts.retryAfter(account), address === null ? 0 : addresses.retryAfter(address));
    trace?.record('login.rate-limit', startMs, { limited: wait > 0 });
    if (wait > 0) {
      throw new HttpError(429, `Too many login tries; wait ${wait} seconds and try again.`, { 'Retry-After': String(wait) });
    }
    if (address !== null) addresses.hit(address);
    next();
  };

  /** Failed tries count against the account; a success clears its count. */
  const recordResult = (username: string, user: PublicUser | false): void => {
    const account = username.toLowerCase();
    if (user) accounts.reset(account);
    else accounts.hit(account);
  };

  return { guard, recordResult, limiters: { accounts, addresses } };
}

export type LoginGuard = ReturnType<typeof createLoginGuard>;

function readCredentials(body: unknown): { username: string; password: string } | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { username, password } = body as Record<string, unknown>;
  const fine = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200;
  return fine(username) && fine(password) ? { username, password } : null;
}
