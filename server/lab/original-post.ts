// Original-post mode: the JWT lane runs the blog post's own pattern (shared/seed), repaired only
// enough to run in this app. What it keeps, on purpose, is what the lab teaches against:
//   - jwt.sign(user, secret): the whole user row goes into the token, password hash included;
//   - no expiresIn, so the token never expires, and nothing requires `exp` when it comes back;
//   - res.cookie('token', token): no HttpOnly (page scripts and an XSS can read it), no SameSite;
//   - passport.authenticate with default sessions: each login and each authenticated request runs
//     req.logIn, which writes a server-side session (connect.sid) — the store lookups come back;
//   - logout: res.cookie('token', null, { maxAge: 0 }), the browser's copy only.
// The repairs: a custom callback so a bad token does not answer every route with a bare 401, JSON
// answers instead of redirects, and `{user}` in answers cut down to id, username, role.
import session from 'express-session';
import jwt from 'jsonwebtoken';
import { Passport } from 'passport';
import { Strategy as JwtStrategy } from 'passport-jwt';
import type { KeyObject } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { CookiePolicy } from '../cookies.js';
import { HttpError } from '../errors.js';
import { reasonFromError } from '../jwt/tokens.js';
import { BAD_CREDENTIALS, createLocalStrategy } from '../login.js';
import type { PublicUser } from '../protocol.js';
import { currentTrace } from '../trace/tracer.js';
import { toPublicUser, type UserRecord, type UserRepository } from '../users.js';
import { OutageSessionStore } from './outage.js';

export interface OriginalPostDeps {
  users: UserRepository;
  key: KeyObject;
  policy: CookiePolicy;
  sessionStore: session.Store;
  sessionSecret: string;
}

/** Whether the current request's viewer has original-post mode on. */
export function originalPostOn(): boolean {
  return currentTrace()?.settings.originalPost === true;
}

type OriginalUser = UserRecord & { iat?: number; exp?: number };

export interface OriginalPost {
  /** express-session as the post's app had it (default name connect.sid); mount before cookie-parser. */
  sessions: RequestHandler;
  /** The post's `app.use` middleware: no token cookie → next(); else passport.authenticate('jwt'). */
  authenticate: RequestHandler;
  /** POST /login: passport.authenticate('local') then setUserToken(res, req.user). */
  login: RequestHandler;
  /** POST /logout: res.cookie('token', null, { maxAge: 0 }). */
  logout: (res: Response) => void;
}

export function createOriginalPost({ users, key, policy, sessionStore, sessionSecret }: OriginalPostDeps): OriginalPost {
  const passport = new Passport();
  const tokenName = policy.names.token;

  // passport-local as the post's app would have it: done(null, user) with the database row.
  passport.use('local', createLocalStrategy(users, (row) => row as unknown as Express.User));

  // The post's options: secretOrKey and a cookie extractor; its callback trusts whatever was signed.
  passport.use(
    'jwt',
    new JwtStrategy(
      {
        secretOrKey: key as unknown as string,
        jwtFromRequest: (req: Request) => {
          const value: unknown = req.cookies?.[tokenName];
          return typeof value === 'string' ? value : null;
        },
      },
      (user: OriginalUser, done: (err: unknown, user?: Express.User | false) => void) => done(null, user as unknown as Express.User),
    ),
  );

  // Default sessions need these; the post's app stored the whole user in its session.
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));

  const sessions = session({
    // Its own Store object: express-session sets `store.generate` with its cookie options on the
    // store it is given, and sharing the session lane's would give that lane these defaults.
    store: new OutageSessionStore(sessionStore),
    secret: sessionSecret,
    resave: false, // set so express-session does not warn; the post does not show its options
    saveUninitialized: false,
  });
  const initialize = passport.initialize();

  const logIn = (req: Request, user: Express.User) =>
    new Promise<void>((resolve, reject) => req.logIn(user, (err) => (err ? reject(err) : resolve())));
  const traced = (req: Request, user: Express.User) => {
    const trace = currentTrace();
    return trace ? trace.measure('original.session.login', () => logIn(req, user), () => ({ sessionCookie: 'connect.sid' })) : logIn(req, user);
  };

  return {
    sessions: (req, res, next) => (originalPostOn() ? sessions(req, res, next) : next()),

    authenticate: (req, res, next) => {
      initialize(req, res, () => {
        const trace = currentTrace();
        const raw: unknown = req.cookies?.[tokenName];
        trace?.record('jwt.cookie.read', trace.now(), { present: typeof raw === 'string' && raw !== '', readableByScript: true });
        if (!raw) return next();
        const startMs = trace?.now() ?? 0;
        passport.authenticate('jwt', { session: false }, (err: unknown, user: OriginalUser | false, info: unknown) => {
          if (err) return next(err);
          const reason = user ? null : info instanceof Error ? reasonFromError(info) : 'malformed';
          trace?.record('original.verify', startMs, {
            ok: Boolean(user),
            reason,
            exp: user && typeof user.exp === 'number' ? user.exp : null,
            // The lesson of this mode, and the only place a trace carries a password hash.
            leakedPasswordHash: user && typeof user.passwordHash === 'string' ? user.passwordHash : null,
          });
          if (!user) {
            req.tokenFailure = reason ?? 'malformed';
            return next();
          }
          traced(req, user as unknown as Express.User).then(() => {
            req.user = publicPart(user);
            next();
          }, next);
        })(req, res, next);
      });
    },

    login: (req, res, next) => {
      initialize(req, res, () => {
        passport.authenticate('local', (err: unknown, user: UserRecord | false) => {
          if (err) return next(err);
          if (!user) return next(new HttpError(401, BAD_CREDENTIALS));
          traced(req, user as unknown as Express.User).then(() => {
            const trace = currentTrace();
            let startMs = trace?.now() ?? 0;
            const token = jwt.sign({ ...user }, key); // the post: jwt.sign(user, secret)
            trace?.record('original.sign', startMs, { exp: null, bytes: token.length, leakedPasswordHash: user.passwordHash });
            startMs = trace?.now() ?? 0;
            // the post: res.cookie('token', token); a __Host- name (HTTPS) also needs Secure to be kept at all
            res.cookie(tokenName, token, policy.base.secure ? { secure: true, path: '/' } : {});
            trace?.record('original.cookie.set', startMs, { httpOnly: false, maxAgeS: null });
            res.status(200).json({ user: toPublicUser(user) });
          }, next);
        })(req, res, next);
      });
    },

    logout: (res) => {
      const trace = currentTrace();
      const startMs = trace?.now() ?? 0;
      res.cookie(tokenName, null, { maxAge: 0, ...(policy.base.secure ? { secure: true, path: '/' } : {}) });
      trace?.record('jwt.cookie.clear', startMs, { post: "res.cookie('token', null, { maxAge: 0 })" });
    },
  };
}

function publicPart(user: OriginalUser): PublicUser {
  return { id: Number(user.id), username: String(user.username), role: user.role === 'admin' ? 'admin' : 'user' };
}

