// createApp(deps): the Express app, its middleware in the order a request meets it. It takes its
// stores as arguments and never listens (server/index.ts does), so tests build it on a temp dir.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import type session from 'express-session';
import { randomUUID, type KeyObject } from 'node:crypto';
import type { CookiePolicy } from './cookies.js';
import { HttpError } from './errors.js';
import { createJwtRouter } from './jwt/routes.js';
import type { TokenDenylist } from './jwt/denylist.js';
import type { RefreshTokenStore } from './jwt/refresh.js';
import { applyViewerSameSite, createFollowRouter, Follows } from './lab/csrf.js';
import { createOriginalPost } from './lab/original-post.js';
import { CapturedCookies } from './lab/replay.js';
import type { RestartLauncher } from './lab/restart.js';
import { createScenarioRouter } from './lab/scenarios.js';
import { createLoadRouter, type LoadReporter } from './lab/load.js';
import { createLabRouter } from './lab/routes.js';
import type { LabSettingsStore } from './lab/settings.js';
import { identifyViewer } from './lab/viewer.js';
import type { LoginGuard } from './login.js';
import { isCrossOrigin } from './origin.js';
import type { Flow } from './protocol.js';
import { createSessionRouter } from './session/routes.js';
import { traceRequests, type TraceSink } from './trace/tracer.js';
import type { UserRepository } from './users.js';

export interface AppDeps {
  policy: CookiePolicy;
  /** Counted stores (see trace/counted.ts): every call is a lookup on the request's trace. */
  sessionStore: session.Store;
  users: UserRepository;
  sessionSecret: string;
  jwtKey: KeyObject;
  settings: LabSettingsStore;
  sink: TraceSink | null;
  storeKind: string;
  publicOrigin: string | null;
  clientDir?: string;
  /** Login checks and try limits, shared by both flows (and, in a cluster, kept in step by server/cluster.ts). */
  login: LoginGuard;
  worker?: number;
  /** The cookies kept for "Replay my old cookie"; passed in so a cluster can share them (server/cluster.ts). */
  captured?: CapturedCookies;
  /** The attack lab (docs/attacks.md): counted stores for revocation and refresh, the attacker page's origin. */
  attack?: { denylist: TokenDenylist; refreshTokens: RefreshTokenStore; attackerOrigin: () => string | null; restart?: RestartLauncher };
  /** false (TRACE=off): no tracer at all, so the benchmark can measure what tracing costs. */
  tracing?: boolean;
  /** Reports load runs (POST /api/lab/load) to their viewer: the broadcaster. */
  loads?: LoadReporter;
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  const captured = deps.captured ?? new CapturedCookies();
  const { login } = deps;
  const follows = new Follows(); // what the CSRF scenario tries to change
  const trace = (flow: Flow) =>
    deps.tracing === false
      ? skipTracing
      : traceRequests({ flow, sink: deps.sink, settingsFor: (id) => deps.settings.get(id), worker: deps.worker });

  app.disable('x-powered-by');
  app.set('etag', false); // per-user API answers: no 304s that hide a request's real status
  app.set('query parser', 'simple');
  app.use(securityHeaders);
  app.use(identifyViewer(deps.policy));
  app.use(applyViewerSameSite(deps.settings, deps.policy));

  // The API: same-origin writes only, JSON bodies only.
  app.use('/api', requestId, noStore, refuseCrossSiteWrites(deps.publicOrigin, deps.settings), requireJsonBody, express.json({ limit: '8kb', strict: true }));

  // GET /api/health — liveness, no auth: the benchmark's baseline.
  app.get('/api/health', (_req, res) => {
    res.json({ ok: true });
  });
  if (deps.loads) app.use('/api/lab/load', createLoadRouter({ reporter: deps.loads, policy: deps.policy }));
  app.use(
    '/api/lab/scenarios',
    createScenarioRouter({
      settings: deps.settings,
      policy: deps.policy,
      jwtKey: deps.jwtKey,
      attackerOrigin: deps.attack?.attackerOrigin ?? (() => null),
      restart: deps.attack?.restart,
    }),
  );
  app.use('/api/lab', createLabRouter({ settings: deps.settings, captured, policy: deps.policy, store: deps.storeKind }));
  app.use(
    '/api/session',
    trace('session'),
    createSessionRouter({
      store: deps.sessionStore,
      users: deps.users,
      secret: deps.sessionSecret,
      policy: deps.policy,
      captured,
      login,
    }),
    createFollowRouter('session', follows),
  );
  app.use(
    '/api/jwt',
    trace('jwt'),
    createJwtRouter({
      users: deps.users,
      key: deps.jwtKey,
      policy: deps.policy,
      captured,
      login,
      denylist: deps.attack?.denylist,
      refreshTokens: deps.attack?.refreshTokens,
      originalPost: createOriginalPost({
        users: deps.users,
        key: deps.jwtKey,
        policy: deps.policy,
        sessionStore: deps.sessionStore,
        sessionSecret: deps.sessionSecret,
      }),
    }),
    createFollowRouter('jwt', follows),
  );
  app.use('/api', (_req, _res) => {
    throw new HttpError(404, 'There is no API route at this address.');
  });

  // The dashboard (built by `npm run build` into dist/client).
  const clientDir = deps.clientDir ?? join(process.cwd(), 'dist', 'client');
  if (existsSync(join(clientDir, 'index.html'))) {
    app.use(express.static(clientDir, { index: 'index.html' }));
  } else {
    app.get('/', (_req, res) => {
      res.type('text/plain').send('The lab API is running. The dashboard is not built yet: run `npm run build` (npm start does it).\n');
    });
  }
  app.use((_req: Request, _res: Response) => {
    throw new HttpError(404, 'There is nothing at this address.');
  });

  app.use(errorHandler());
  return app;
}

function skipTracing(_req: Request, _res: Response, next: NextFunction): void {
  next();
}

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
}

// API answers depend on who is logged in: never cached, never answered 304 from an ETag.
// Every API answer carries an id, refusals included; on the two flows' routes the tracer takes it
// as its trace's id, which the dashboard knows the request by.
function requestId(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Request-Id', randomUUID());
  next();
}

function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}

// A form or fetch from another site rides on the browser's cookies (CSRF): refuse any unsafe
// method whose Origin or Sec-Fetch-Site says it was not sent by this origin's own pages.
// A viewer can turn the check off (csrfCheck) to watch the attack succeed: docs/attacks.md#csrf.
function refuseCrossSiteWrites(publicOrigin: string | null, settings: LabSettingsStore) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (UNSAFE_METHODS.has(req.method) && isCrossOrigin(req, publicOrigin) && settings.get(req.viewerId).csrfCheck !== false) {
      throw new HttpError(403, 'This request came from another site, so it is refused (cross-site request forgery check).');
    }
    next();
  };
}

function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is('application/json')) {
    throw new HttpError(415, 'Send the body as JSON, with Content-Type: application/json.');
  }
  next();
}

interface BodyParserError {
  type?: string;
  status?: number;
}

const BODY_ERRORS: Record<string, [number, string]> = {
  'entity.too.large': [413, 'The request body is too large; the API takes at most 8 KB.'],
  'entity.parse.failed': [400, 'The request body is not valid JSON.'],
  'encoding.unsupported': [415, 'The request body uses a content encoding this server does not accept.'],
  'charset.unsupported': [415, 'The request body uses a charset this server does not accept; send UTF-8.'],
  'request.aborted': [400, 'The request body was cut off before it ended.'],
  'request.size.invalid': [400, 'The request body is not as long as its Content-Length says.'],
};

// A store outage is expected here (the lab has a switch for it): one line in the log, not a stack.
function causeOf(err: HttpError): string {
  const cause = err.cause;
  if (cause === undefined) return '';
  return cause instanceof Error ? ` (${cause.name}: ${cause.message})` : ` (${String(cause)})`;
}

// The one place errors become responses: a status and one sentence, never a stack trace.
function errorHandler() {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    let status = 500;
    let message = 'Something went wrong on the server; it has been logged.';
    if (err instanceof HttpError) {
      status = err.status;
      message = err.message;
      for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
      if (status >= 500) console.warn(`${req.method} ${req.originalUrl}: ${message}${causeOf(err)}`);
    } else {
      const known = BODY_ERRORS[(err as BodyParserError)?.type ?? ''];
      const clientStatus = (err as BodyParserError)?.status;
      if (known) [status, message] = known;
      else if (typeof clientStatus === 'number' && clientStatus >= 400 && clientStatus < 500) {
        status = clientStatus;
        message = 'The request could not be understood.';
      } else console.error(`${req.method} ${req.originalUrl} failed:`, err);
    }
    res.status(status).json({ error: message });
  };
}
