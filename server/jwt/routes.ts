// The JWT flow's routes: /api/jwt/login, /me, /logout.
import { Router, type NextFunction, type Request, type Response } from 'express';
import cookieParser from 'cookie-parser';
import type { KeyObject } from 'node:crypto';
import { clearCookie, setTokenCookie, type CookiePolicy } from '../cookies.js';
import { HttpError } from '../errors.js';
import { methodNotAllowed } from '../http.js';
import { BAD_CREDENTIALS, type LoginGuard } from '../login.js';
import type { PublicUser } from '../protocol.js';
import { readRawCookie, replayCapturedCookie, type CapturedCookies } from '../lab/replay.js';
import { currentTrace } from '../trace/tracer.js';
import type { UserRepository } from '../users.js';
import { authenticateTokenCookie, createJwtPassport } from './strategy.js';
import { describeFailure, signToken, TOKEN_TTL_SECONDS } from './tokens.js';

export interface JwtRoutesDeps {
  users: UserRepository;
  key: KeyObject;
  policy: CookiePolicy;
  captured: CapturedCookies;
  login: LoginGuard; // shared by both flows: tries on one flow count on the other
}

export function createJwtRouter({ users, key, policy, captured, login }: JwtRoutesDeps): Router {
  const router = Router();
  const passport = createJwtPassport(users, key, policy);

  router.post('/replay', replayCapturedCookie('jwt', policy.names.token, captured));
  router.use(cookieParser()); // after session() in the app, so a `sid=j:{}` cookie cannot reach express-session parsed
  router.use(passport.initialize());
  router.use(authenticateTokenCookie(passport, policy));

  // POST /api/jwt/login
  // Checks the password with passport-local (no session), signs a 15-minute JWT that holds only
  // sub, username, role, iat, exp and jti, and sets it as an HttpOnly cookie. The browser then sends
  // the token with every request; the server keeps nothing.
  router.post('/login', login.guard, (req: Request, res: Response, next: NextFunction) => {
    passport.authenticate('local', { session: false }, (err: unknown, user: PublicUser | false) => {
      if (err) return next(err);
      login.recordResult(req.body.username, user);
      if (!user) return next(new HttpError(401, BAD_CREDENTIALS));
      const trace = currentTrace();
      let startMs = trace?.now() ?? 0;
      const { token, claims } = signToken(user, key);
      trace?.record('jwt.sign', startMs, { jti: claims.jti, exp: claims.exp, bytes: token.length });
      startMs = trace?.now() ?? 0;
      setTokenCookie(res, policy, token, TOKEN_TTL_SECONDS * 1000);
      trace?.record('jwt.cookie.set', startMs, { maxAgeS: TOKEN_TTL_SECONDS });
      res.status(200).json({ user });
    })(req, res, next);
  });

  // GET /api/jwt/me
  // passport-jwt has checked the signature and the expiry; the claims are trusted as they are,
  // with no store and no database read.
  router.get('/me', (req: Request, res: Response) => {
    if (req.user) {
      res.status(200).json({ user: req.user });
      return;
    }
    const why = req.tokenFailure ? describeFailure(req.tokenFailure) : 'no token cookie came with this request.';
    throw new HttpError(401, `You are not logged in on the JWT flow: ${lowerFirst(why)}`);
  });

  // POST /api/jwt/logout
  // Tells the browser to expire the cookie. The token itself stays valid until its exp: a copy
  // (kept for the replay button, or stolen) still works.
  router.post('/logout', (req: Request, res: Response) => {
    const raw = readRawCookie(req.headers.cookie, policy.names.token);
    if (raw && req.viewerId) captured.set(req.viewerId, 'jwt', raw);
    const startMs = currentTrace()?.now() ?? 0;
    clearCookie(res, policy, policy.names.token);
    currentTrace()?.record('jwt.cookie.clear', startMs);
    res.status(204).end();
  });

  router.all(['/login', '/logout', '/replay'], methodNotAllowed('POST'));
  router.all('/me', methodNotAllowed('GET'));
  return router;
}

function lowerFirst(sentence: string): string {
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}
