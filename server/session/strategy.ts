// The session flow's machinery: express-session over the counted store, and a passport instance
// that logs in with passport-local and turns the session back into req.user on every request.
import { Passport } from 'passport';
import session from 'express-session';
import cookie from 'cookie';
import { unsign } from 'cookie-signature';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { CookiePolicy } from '../cookies.js';
import { createLocalStrategy } from '../login.js';
import type { PublicUser } from '../protocol.js';
import { currentTrace } from '../trace/tracer.js';
import { toPublicUser, type UserRepository } from '../users.js';

declare module 'express-session' {
  interface SessionData {
    passport?: { user?: PublicUser };
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // passport's req.user: the lab's public user in both flows
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends PublicUser {}
  }
}

export const SESSION_MAX_AGE_MS = 24 * 3600 * 1000;

export function createSessionMiddleware(store: session.Store, secret: string, policy: CookiePolicy): RequestHandler {
  return session({
    name: policy.names.session,
    secret,
    store,
    resave: false, // don't rewrite an unchanged session on every request…
    saveUninitialized: false, // no session row until someone logs in
    rolling: false, // …but express-session still calls store.touch to push the expiry (counted)
    cookie: { ...policy.base, maxAge: SESSION_MAX_AGE_MS },
  });
}

/**
 * Traces what express-session is about to do with the sid cookie: whether it came, and whether
 * its HMAC signature holds (a forged or tampered ID fails here and never reaches the store).
 */
export function traceSessionCookie(secret: string, policy: CookiePolicy): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const trace = currentTrace();
    if (trace) {
      const startMs = trace.now();
      const raw = cookie.parse(req.headers.cookie ?? '')[policy.names.session];
      const signed = typeof raw === 'string' && raw.startsWith('s:');
      const valid = signed && unsign(raw.slice(2), secret) !== false;
      trace.record('session.cookie.read', startMs, { present: raw !== undefined, signatureValid: valid });
    }
    next();
  };
}

/**
 * A passport instance for the session flow only. The session keeps the user's public info, like the
 * original post; with the viewer's `deserialize: 'database'` setting it reloads the user by id on
 * every request, the common passport pattern (one more user-database read per request).
 */
export function createSessionPassport(users: UserRepository): InstanceType<typeof Passport> {
  const passport = new Passport();
  passport.use('local', createLocalStrategy(users));
  passport.serializeUser<PublicUser>((user, done) => done(null, toPublicUser(user)));
  passport.deserializeUser<PublicUser>((stored, done) => {
    const trace = currentTrace();
    const load = async (): Promise<PublicUser | false> => {
      if (trace?.settings.deserialize !== 'database') return stored;
      const fresh = await users.findById(stored.id);
      return fresh ? toPublicUser(fresh) : false; // deleted since login: passport drops the session's user
    };
    const run = trace
      ? trace.measure('session.deserialize', load, (user) => ({ from: trace.settings.deserialize, found: user !== false }))
      : load();
    run.then(
      (user) => done(null, user),
      (err: unknown) => done(err),
    );
  });
  return passport;
}
