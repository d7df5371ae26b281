// The session flow's routes: /api/session/login, /me, /logout.
import { Router, type Request, type Response, type NextFunction } from 'express';
import type session from 'express-session';
import { clearCookie, type CookiePolicy } from '../cookies.js';
import { HttpError, StoreUnavailableError } from '../errors.js';
import { BAD_CREDENTIALS, type LoginGuard } from '../login.js';
import type { PublicUser } from '../protocol.js';
import type { CapturedCookies } from '../lab/replay.js';
import { replayCapturedCookie, readRawCookie } from '../lab/replay.js';
import { currentTrace } from '../trace/tracer.js';
import { createSessionMiddleware, createSessionPassport, traceSessionCookie } from './strategy.js';
import type { UserRepository } from '../users.js';
import { methodNotAllowed } from '../http.js';

export interface SessionRoutesDeps {
  store: session.Store;
  users: UserRepository;
  secret: string;
  policy: CookiePolicy;
  captured: CapturedCookies;
  login: LoginGuard; // shared by both flows: tries on one flow count on the other
}

export function createSessionRouter({ store, users, secret, policy, captured, login }: SessionRoutesDeps): Router {
  const router = Router();
  const passport = createSessionPassport(users);

  router.post('/replay', replayCapturedCookie('session', policy.names.session, captured));
  router.use(traceSessionCookie(secret, policy));
  router.use(createSessionMiddleware(store, secret, policy));
  router.use(requireSessionSupport);
  router.use(passport.session());

  // POST /api/session/login
  // Checks the password with passport-local, then passport's req.login gives the browser a brand-new
  // session ID (the old one, possibly planted by an attacker, is destroyed) and saves the user in it.
  // The browser stores the signed `sid` cookie and sends it with every later request.
  router.post('/login', login.guard, (req: Request, res: Response, next: NextFunction) => {
    passport.authenticate('local', (err: unknown, user: PublicUser | false) => {
      if (err) return next(err);
      login.recordResult(req.body.username, user);
      if (!user) return next(new HttpError(401, BAD_CREDENTIALS));
      const trace = currentTrace();
      const logIn = () => new Promise<void>((resolve, reject) => req.login(user, (e) => (e ? reject(e) : resolve())));
      (trace ? trace.measure('session.regenerate', logIn) : logIn()).then(
        () => res.status(200).json({ user }),
        next,
      );
    })(req, res, next);
  });

  // GET /api/session/me
  // express-session has already read the session from the store and passport has turned it into
  // req.user. Answering also makes express-session touch the session (its expiry moves on).
  router.get('/me', (req: Request, res: Response) => {
    if (!req.user) throw new HttpError(401, 'You are not logged in on the session flow: no live session came with this request.');
    res.status(200).json({ user: req.user });
  });

  // POST /api/session/logout
  // Deletes the session from the store, so the ID is dead everywhere, then tells the browser to
  // drop the cookie. A copy of the old cookie (kept for the replay button) now gets 401.
  router.post('/logout', async (req: Request, res: Response) => {
    const raw = readRawCookie(req.headers.cookie, policy.names.session);
    if (raw && req.viewerId) captured.set(req.viewerId, 'session', raw);
    if (req.user) {
      await new Promise<void>((resolve, reject) => req.session.destroy((e: unknown) => (e ? reject(e) : resolve())));
    }
    const startMs = currentTrace()?.now() ?? 0;
    clearCookie(res, policy, policy.names.session);
    currentTrace()?.record('session.cookie.clear', startMs);
    res.status(204).end();
  });

  router.all(['/login', '/logout', '/replay'], methodNotAllowed('POST'));
  router.all('/me', methodNotAllowed('GET'));
  return router;
}

// express-session skips the session (req.session undefined) while its store reports it is down:
// fail closed with 503 rather than answer "not logged in".
function requireSessionSupport(req: Request, _res: Response, next: NextFunction): void {
  if (!req.session) return next(new StoreUnavailableError('session store'));
  next();
}
