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
import { toPublicUser, type UserRepository } from '../users.js';
import { originalPostOn, type OriginalPost } from '../lab/original-post.js';
import type { TokenDenylist } from './denylist.js';
import {
  ACCESS_TTL_SECONDS,
  clearRefreshCookie,
  hashRefreshToken,
  newRefreshToken,
  readRefreshCookie,
  REFRESH_FAILURES,
  rotateRefreshToken,
  setRefreshCookie,
  type RefreshTokenStore,
} from './refresh.js';
import { authenticateTokenCookie, createJwtPassport } from './strategy.js';
import { describeFailure, signToken, TOKEN_TTL_SECONDS } from './tokens.js';

export interface JwtRoutesDeps {
  users: UserRepository;
  key: KeyObject;
  policy: CookiePolicy;
  captured: CapturedCookies;
  login: LoginGuard; // shared by both flows: tries on one flow count on the other
  /** Counted stores of the attack lab (docs/attacks.md); each is used only when its setting is on. */
  denylist?: TokenDenylist;
  refreshTokens?: RefreshTokenStore;
  originalPost?: OriginalPost;
}

export function createJwtRouter(deps: JwtRoutesDeps): Router {
  const { users, key, policy, captured, login, denylist, refreshTokens, originalPost } = deps;
  const router = Router();
  const passport = createJwtPassport(users, key, policy, denylist);
  const hardened = authenticateTokenCookie(passport, policy);

  router.post('/replay', replayCapturedCookie('jwt', policy.names.token, captured));
  if (originalPost) router.use(originalPost.sessions); // before cookie-parser, as in the app (see session())
  router.use(cookieParser()); // after session() in the app, so a `sid=j:{}` cookie cannot reach express-session parsed
  router.use((req, res, next) => (originalPost && originalPostOn() ? originalPost.authenticate(req, res, next) : hardened(req, res, next)));

  // POST /api/jwt/login
  // Checks the password with passport-local (no session), signs a 15-minute JWT that holds only
  // sub, username, role, iat, exp and jti, and sets it as an HttpOnly cookie. The browser then sends
  // the token with every request; the server keeps nothing.
  // With the viewer's short-expiry setting on, the token lives 60 seconds and a refresh token
  // (HttpOnly, sent only to /api/jwt) is stored hashed to get the next one: docs/attacks.md.
  // In original-post mode the post's own login runs instead (server/lab/original-post.ts).
  router.post('/login', login.guard, (req: Request, res: Response, next: NextFunction) => {
    if (originalPost && originalPostOn()) {
      originalPost.login(req, res, next);
      return;
    }
    passport.authenticate('local', { session: false }, (err: unknown, user: PublicUser | false) => {
      if (err) return next(err);
      login.recordResult(req.body.username, user);
      if (!user) return next(new HttpError(401, BAD_CREDENTIALS));
      const trace = currentTrace();
      const short = refreshTokens !== undefined && trace?.settings.refresh === true;
      const ttl = short ? ACCESS_TTL_SECONDS : TOKEN_TTL_SECONDS;
      issueToken(res, user, ttl);
      if (!short) return void res.status(200).json({ user });
      const fresh = newRefreshToken(user.id);
      refreshTokens.save(fresh.record).then(() => {
        setRefreshCookie(res, policy, fresh.token);
        trace?.record('jwt.refresh.cookie.set', trace.now(), { family: fresh.record.family.slice(0, 8) });
        res.status(200).json({ user });
      }, next);
    })(req, res, next);
  });

  // POST /api/jwt/refresh
  // Trades the refresh cookie for a new 60-second JWT and a new refresh token of the same family.
  // The one JWT request that touches the store. A refresh token already used revokes its family.
  router.post('/refresh', async (req: Request, res: Response) => {
    const token = readRefreshCookie(req, policy);
    if (!token || !refreshTokens) throw new HttpError(401, REFRESH_FAILURES.missing);
    const outcome = await rotateRefreshToken(refreshTokens, token, async (id) => {
      const user = await users.findById(id);
      return user && toPublicUser(user);
    });
    if (!outcome.ok) {
      clearRefreshCookie(res, policy);
      throw new HttpError(401, REFRESH_FAILURES[outcome.reason]);
    }
    issueToken(res, outcome.user, ACCESS_TTL_SECONDS);
    setRefreshCookie(res, policy, outcome.token);
    currentTrace()?.record('jwt.refresh.cookie.set', currentTrace()?.now() ?? 0, { family: outcome.family.slice(0, 8) });
    res.status(200).json({ user: outcome.user, expiresInS: ACCESS_TTL_SECONDS });
  });

  function issueToken(res: Response, user: PublicUser, ttl: number): void {
    const trace = currentTrace();
    let startMs = trace?.now() ?? 0;
    const { token, claims } = signToken(user, key, ttl);
    trace?.record('jwt.sign', startMs, { jti: claims.jti, exp: claims.exp, bytes: token.length });
    startMs = trace?.now() ?? 0;
    setTokenCookie(res, policy, token, ttl * 1000);
    trace?.record('jwt.cookie.set', startMs, { maxAgeS: ttl });
  }

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
  // With the viewer's denylist on, the token's jti is revoked until its exp, and a refresh token's
  // family is revoked: then the copy is refused too (docs/attacks.md#revocation-on).
  router.post('/logout', async (req: Request, res: Response) => {
    const raw = readRawCookie(req.headers.cookie, policy.names.token);
    if (raw && req.viewerId) captured.set(req.viewerId, 'jwt', raw);
    if (originalPost && originalPostOn()) {
      originalPost.logout(res);
      return void res.status(204).end();
    }
    const claims = req.tokenClaims;
    if (denylist && claims && currentTrace()?.settings.denylist === true) await denylist.revoke(claims.jti, claims.exp);
    const refresh = readRefreshCookie(req, policy);
    if (refresh && refreshTokens) {
      const record = await refreshTokens.find(hashRefreshToken(refresh));
      if (record) await refreshTokens.revokeFamily(record.family);
      clearRefreshCookie(res, policy);
    }
    const startMs = currentTrace()?.now() ?? 0;
    clearCookie(res, policy, policy.names.token);
    currentTrace()?.record('jwt.cookie.clear', startMs);
    res.status(204).end();
  });

  router.all(['/login', '/logout', '/replay', '/refresh'], methodNotAllowed('POST'));
  router.all('/me', methodNotAllowed('GET'));
  return router;
}

function lowerFirst(sentence: string): string {
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}
