// The JWT flow's passport instance: passport-local to log in (no session), and passport-jwt reading
// the token from the `token` cookie with a cookie extractor, as in the original post.
import { Passport } from 'passport';
import { ExtractJwt, Strategy as JwtStrategy, type JwtFromRequestFunction } from 'passport-jwt';
import type { KeyObject } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { CookiePolicy } from '../cookies.js';
import { createLocalStrategy } from '../login.js';
import { currentTrace } from '../trace/tracer.js';
import type { UserRepository } from '../users.js';
import type { TokenDenylist } from './denylist.js';
import { checkClaims, reasonFromError, userFromClaims, VERIFY_OPTIONS, type TokenClaims, type VerifyFailure } from './tokens.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Why the token was refused, when it was: what /me and the trace report. */
      tokenFailure?: VerifyFailure;
      /** The verified token's claims: logout revokes its jti. */
      tokenClaims?: TokenClaims;
    }
  }
}

// When passport-jwt started verifying this request's token (the end of the cookie read).
const verifyStarted = new WeakMap<Request, number>();

/** Reads the token from the cookie, as the post does; anything but a non-empty string is no token. */
export function cookieExtractor(policy: CookiePolicy): JwtFromRequestFunction {
  return (req: Request) => {
    const trace = currentTrace();
    const startMs = trace?.now() ?? 0;
    const value: unknown = req.cookies?.[policy.names.token];
    const token = typeof value === 'string' && value !== '' ? value : null;
    if (trace) {
      trace.record('jwt.cookie.read', startMs, { present: token !== null, bytes: token?.length ?? 0 });
      verifyStarted.set(req, trace.now());
    }
    return token;
  };
}

export function createJwtPassport(
  users: UserRepository,
  key: KeyObject,
  policy: CookiePolicy,
  denylist?: TokenDenylist,
): InstanceType<typeof Passport> {
  const passport = new Passport();
  passport.use('local', createLocalStrategy(users));
  passport.use(
    'jwt',
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromExtractors([cookieExtractor(policy)]),
        secretOrKey: key as unknown as string, // jsonwebtoken 9 takes a KeyObject; the typings say string | Buffer
        algorithms: [...VERIFY_OPTIONS.algorithms],
        passReqToCallback: true,
      },
      (req: Request, payload: unknown, done: (err: unknown, user?: Express.User | false) => void) => {
        const checked = checkClaims(payload);
        recordVerify(req, checked.ok ? undefined : checked.reason, payload);
        if (!checked.ok) {
          req.tokenFailure = checked.reason;
          return done(null, false);
        }
        // With the viewer's denylist on, a valid signature is not enough: one store read per request.
        if (!denylist || currentTrace()?.settings.denylist !== true) {
          req.tokenClaims = checked.claims;
          return done(null, userFromClaims(checked.claims));
        }
        denylist.isRevoked(checked.claims.jti).then((revoked) => {
          if (revoked) {
            req.tokenFailure = 'revoked';
            return done(null, false);
          }
          req.tokenClaims = checked.claims;
          return done(null, userFromClaims(checked.claims));
        }, done);
      },
    ),
  );
  return passport;
}

function recordVerify(req: Request, failure: VerifyFailure | undefined, payload?: unknown): void {
  const trace = currentTrace();
  const startMs = verifyStarted.get(req);
  if (!trace || startMs === undefined) return;
  verifyStarted.delete(req);
  const exp = (payload as { exp?: unknown } | undefined)?.exp;
  trace.record('jwt.verify', startMs, {
    ok: failure === undefined,
    reason: failure ?? null,
    expiresInS: typeof exp === 'number' ? exp - Math.floor(Date.now() / 1000) : null,
  });
}

/**
 * The post's middleware: no token cookie → carry on unauthenticated; otherwise passport-jwt checks it.
 * A refused token leaves req.user unset and records why on req.tokenFailure.
 */
export function authenticateTokenCookie(passport: InstanceType<typeof Passport>, policy: CookiePolicy): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.cookies?.[policy.names.token]) {
      // the extractor is not reached: trace the empty read here
      const trace = currentTrace();
      trace?.record('jwt.cookie.read', trace.now(), { present: false, bytes: 0 });
      return next();
    }
    passport.authenticate('jwt', { session: false }, (err: unknown, user: Express.User | false, info: unknown) => {
      if (err) return next(err);
      if (user) {
        req.user = user;
      } else if (!req.tokenFailure) {
        req.tokenFailure = info instanceof Error ? reasonFromError(info) : 'malformed';
        recordVerify(req, req.tokenFailure);
      }
      next();
    })(req, res, next);
  };
}
