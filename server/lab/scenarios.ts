// The attack lab's scenario registry and its runner. A scenario is a short script of real HTTP
// requests sent by the server to itself over loopback, each carrying the viewer's `lab` cookie —
// so every request goes through the full middleware stack, is traced to that viewer's lanes, and
// to nobody else — never a simulation. Each entry links its walkthrough in docs/attacks.md.
//   GET  /api/lab/scenarios      the registry, and where the attacker page is served
//   POST /api/lab/scenarios/:id  run one for this viewer; answers a ScenarioResult
import { createHmac, randomBytes, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Router, type Request, type Response } from 'express';
import { workerId } from '../cluster.js';
import type { CookiePolicy } from '../cookies.js';
import { HttpError } from '../errors.js';
import { methodNotAllowed } from '../http.js';
import type { Flow, LabSettings, ScenarioInfo, ScenarioOutcome, ScenarioRequest, ScenarioResult } from '../protocol.js';
import { internalHeaders } from './internal.js';
import type { RestartLauncher } from './restart.js';
import type { LabSettingsStore } from './settings.js';

const DOC = 'docs/attacks.md';

export interface ScenarioDeps {
  settings: LabSettingsStore;
  policy: CookiePolicy;
  jwtKey: KeyObject;
  /** Where the attacker page (server/lab/attacker.ts) is served, or null when it is not running. */
  attackerOrigin: () => string | null;
  /** Starts a fresh lab process on this lab's data, for the restart scenario (server/lab/restart.ts). */
  restart?: RestartLauncher;
}

type Outcomes = Record<Flow, ScenarioOutcome>;

interface Scenario extends Omit<ScenarioInfo, 'doc'> {
  run?: (ctx: RunContext) => Promise<Outcomes>;
}

// ---------------------------------------------------------------------------------------------
// The registry. Order = the order of docs/attacks.md.

const SCENARIOS: Scenario[] = [
  {
    id: 'stolen-cookie-after-logout',
    title: 'Stolen cookie after logout',
    summary: 'Log in, keep a copy of the cookie, log out, and send the copy again.',
    runsIn: 'server',
    settings: { denylist: false, originalPost: false },
    run: (ctx) => stolenCookie(ctx),
  },
  {
    id: 'revocation-on',
    title: 'Revocation on (jti denylist)',
    summary: 'The same theft with the denylist on: JWT logout now revokes, and every JWT request reads the denylist.',
    runsIn: 'server',
    settings: { denylist: true, originalPost: false },
    run: (ctx) => stolenCookie(ctx),
  },
  {
    id: 'short-expiry-with-refresh',
    title: 'Short expiry with refresh',
    summary: 'A 60-second JWT and a rotating refresh token: the store is touched only on refresh; a reused refresh token revokes its family.',
    runsIn: 'server',
    settings: { refresh: true, originalPost: false },
    run: shortExpiryWithRefresh,
  },
  {
    id: 'tampered-token',
    title: 'Tampered token',
    summary: "Change the JWT payload's role to admin (or one character of the session ID) and keep the signature.",
    runsIn: 'server',
    settings: {},
    run: tamperedToken,
  },
  {
    id: 'alg-none',
    title: 'alg none',
    summary: 'A JWT with alg "none" and no signature; a session ID with no signature.',
    runsIn: 'server',
    settings: {},
    run: (ctx) => craftedCredential(ctx, (claims) => unsignedToken(claims), (id) => id),
  },
  {
    id: 'signed-with-another-secret',
    title: 'Signed with another secret',
    summary: 'A well-formed JWT and session ID signed with a key the server does not have.',
    runsIn: 'server',
    settings: {},
    run: (ctx) => {
      const other = randomBytes(32);
      return craftedCredential(ctx, (claims) => jwt.sign(claims, other, { algorithm: 'HS256' }), (id) => signSessionId(id, other));
    },
  },
  {
    id: 'expired-token',
    title: 'Expired token',
    summary: 'A JWT signed with the real key whose exp has passed.',
    runsIn: 'server',
    settings: {},
    run: (ctx) => craftedCredential(ctx, (claims) => jwt.sign({ ...claims, exp: claims.iat - 1 }, ctx.key, { algorithm: 'HS256' }), null),
  },
  {
    id: 'token-without-exp',
    title: 'Token without exp',
    summary: 'A JWT signed with the real key and no exp: jsonwebtoken alone would accept it forever.',
    runsIn: 'server',
    settings: {},
    run: (ctx) =>
      craftedCredential(ctx, ({ exp: _exp, ...claims }) => jwt.sign(claims, ctx.key, { algorithm: 'HS256' }), null),
  },
  {
    id: 'forged-session-id',
    title: 'Forged session ID',
    summary: 'Make up a credential instead of stealing one: a random session ID, a random token.',
    runsIn: 'server',
    settings: {},
    run: forgedCredential,
  },
  {
    id: 'session-fixation',
    title: 'Session fixation',
    summary: "Plant the attacker's own cookie in the victim's browser before the victim logs in, then use it.",
    runsIn: 'server',
    settings: { originalPost: false },
    run: sessionFixation,
  },
  {
    id: 'csrf',
    title: 'CSRF from another site',
    summary: 'A page on another origin posts logout and follow forms to the lab with your cookies.',
    runsIn: 'browser',
    settings: {},
  },
  {
    id: 'xss-reading-cookies',
    title: 'XSS reading cookies',
    summary: 'A script injected into the lab page reads document.cookie and sends what it finds to the attacker.',
    runsIn: 'browser',
    settings: {},
  },
  {
    id: 'store-outage',
    title: 'Store outage',
    summary: 'The session store goes down for you, then comes back: which lane keeps working?',
    runsIn: 'server',
    settings: { storeOutage: false },
    run: storeOutage,
  },
  {
    id: 'server-restart',
    title: 'Server restart and secret rotation',
    summary: 'A fresh server process on the same data: sessions and JWTs survive; with a new JWT secret, every JWT user is logged out.',
    runsIn: 'server',
    settings: {},
    run: serverRestart,
  },
  {
    id: 'several-workers',
    title: 'Several workers',
    summary: 'Log in, then ask Who am I? four times: under npm run cluster each request may reach another worker, with its own memory.',
    runsIn: 'server',
    settings: {},
    run: severalWorkers,
  },
  {
    id: 'original-post-mode',
    title: 'Original-post mode',
    summary: "The JWT lane runs the blog post's pattern: the password hash in the token, no exp, a cookie scripts can read.",
    runsIn: 'server',
    settings: { originalPost: true, denylist: false },
    run: originalPost,
  },
];

export function listScenarios(): ScenarioInfo[] {
  return SCENARIOS.map(({ id, title, summary, runsIn, settings }) => ({ id, title, summary, doc: `${DOC}#${id}`, runsIn, settings }));
}

// ---------------------------------------------------------------------------------------------
// The routes.

export function createScenarioRouter(deps: ScenarioDeps): Router {
  const router = Router();
  const running = new Set<string>(); // viewers with a scenario in flight: their settings are being switched

  // GET /api/lab/scenarios
  router.get('/', (_req: Request, res: Response) => {
    res.json({ scenarios: listScenarios(), attackerOrigin: deps.attackerOrigin() });
  });

  // POST /api/lab/scenarios/:id
  // Applies the scenario's settings to this viewer, then runs its requests against this server.
  router.post('/:id', async (req: Request, res: Response) => {
    const scenario = SCENARIOS.find((s) => s.id === req.params.id);
    if (!scenario) throw new HttpError(404, `There is no scenario called "${String(req.params.id).slice(0, 40)}".`);
    if (!scenario.run) throw new HttpError(409, 'This scenario runs in your browser: open the attacker page from the lab panel.');
    const viewerId = req.viewerId;
    if (!viewerId) throw new HttpError(400, 'This request has no lab cookie; load the dashboard first.');
    if (running.has(viewerId)) throw new HttpError(409, 'A scenario is already running for you; wait for it to finish.');
    running.add(viewerId);
    try {
      const settings = deps.settings.update(viewerId, scenario.settings);
      const ctx = new RunContext(loopbackBase(req), viewerId, deps, settings);
      const flows = await scenario.run(ctx);
      const result: ScenarioResult = { id: scenario.id, doc: `${DOC}#${scenario.id}`, settings: deps.settings.get(viewerId), flows };
      res.json(result);
    } finally {
      running.delete(viewerId);
    }
  });

  router.all('/', methodNotAllowed('GET'));
  router.all('/:id', methodNotAllowed('POST'));
  return router;
}

// The scenario talks to the very server (and worker) that received the click, on the socket's own address.
function loopbackBase(req: Request): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  const host = address.startsWith('::ffff:') ? address.slice(7) : address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${req.socket.localPort}`;
}

// ---------------------------------------------------------------------------------------------
// The runner: a cookie jar per party (victim, attacker), every request recorded.

class Jar {
  readonly cookies = new Map<string, string>();
  constructor(readonly ctx: RunContext) {}

  header(extra: Record<string, string> = {}): string {
    const all = new Map([...this.cookies, ...Object.entries(extra)]);
    all.set(this.ctx.policy.names.lab, this.ctx.viewerId);
    return [...all].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** `base`: another server than this one (the restart scenario's fresh process). */
  async send(label: string, method: string, path: string, options: { body?: unknown; cookies?: Record<string, string>; base?: string } = {}) {
    const headers: Record<string, string> = { cookie: this.header(options.cookies), accept: 'application/json', ...internalHeaders() };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch((options.base ?? this.ctx.base) + path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      redirect: 'manual',
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    let body: Record<string, unknown> | null;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    } catch {
      body = null;
    }
    const record: ScenarioRequest = {
      label,
      method,
      path,
      status: res.status,
      requestId: res.headers.get('x-request-id'),
      error: typeof body?.error === 'string' ? body.error : null,
      steps: (res.headers.get('server-timing') ?? '')
        .split(',')
        .map((entry) => entry.trim().split(';')[0] ?? '')
        .filter(Boolean),
    };
    this.ctx.log.push(record);
    return { ...record, body, setCookies: res.headers.getSetCookie() };
  }

  login(flow: Flow, username = 'alice', password = 'wonderland') {
    return this.send(`Log in as ${username}`, 'POST', `/api/${flow}/login`, { body: { username, password } });
  }
}

class RunContext {
  log: ScenarioRequest[] = [];
  readonly policy: CookiePolicy;
  readonly key: KeyObject;

  constructor(
    readonly base: string,
    readonly viewerId: string,
    readonly deps: ScenarioDeps,
    readonly settings: LabSettings,
  ) {
    this.policy = deps.policy;
    this.key = deps.jwtKey;
  }

  jar(): Jar {
    return new Jar(this);
  }

  cookieName(flow: Flow): string {
    return flow === 'session' ? this.policy.names.session : this.policy.names.token;
  }

  /** Collects the requests made so far as one flow's outcome, and starts a fresh log. */
  outcome(verdict: ScenarioOutcome['verdict'], summary: string): ScenarioOutcome {
    const requests = this.log;
    this.log = [];
    return { verdict, summary, requests };
  }

  setOutage(down: boolean): void {
    this.deps.settings.update(this.viewerId, { storeOutage: down });
  }
}

const refusedOrNot = (status: number): ScenarioOutcome['verdict'] => (status >= 400 ? 'protected' : 'exposed');

// ---------------------------------------------------------------------------------------------
// The scenarios.

async function stolenCookie(ctx: RunContext): Promise<Outcomes> {
  const out = {} as Outcomes;
  for (const flow of ['session', 'jwt'] as const) {
    const victim = ctx.jar();
    await victim.login(flow);
    const stolen = victim.cookies.get(ctx.cookieName(flow));
    await victim.send('Log out', 'POST', `/api/${flow}/logout`);
    if (!stolen) {
      out[flow] = ctx.outcome('not-applicable', 'The login set no cookie to steal (see the first request).');
      continue;
    }
    const thief = ctx.jar();
    const replay = await thief.send('Replay the stolen cookie', 'GET', `/api/${flow}/me`, { cookies: { [ctx.cookieName(flow)]: stolen } });
    out[flow] = ctx.outcome(
      refusedOrNot(replay.status),
      replay.status === 200
        ? `The copy still works after logout: ${flow === 'jwt' ? 'logout only expired the browser’s cookie; the token is valid until its exp' : 'the session survived'}.`
        : `The copy is refused (${replay.status}): ${replay.error ?? ''}`,
    );
  }
  return out;
}

async function shortExpiryWithRefresh(ctx: RunContext): Promise<Outcomes> {
  const session = ctx.outcome('not-applicable', 'A session is checked in the store on every request, so it can be cut off at once; it needs no refresh token.');
  const jar = ctx.jar();
  const login = await jar.login('jwt');
  const token = jar.cookies.get(ctx.policy.names.token);
  const firstRefresh = [...jar.cookies.keys()].find((name) => name.endsWith('refresh'));
  const firstRefreshValue = firstRefresh ? jar.cookies.get(firstRefresh) : undefined;
  if (login.status !== 200 || !token || !firstRefresh || !firstRefreshValue) {
    return { session, jwt: ctx.outcome('not-applicable', 'The login did not return a short token and a refresh cookie.') };
  }
  await jar.send('Who am I? (fresh 60-second token, no store read)', 'GET', '/api/jwt/me');
  // A minute later the access token has expired: the same claims, exp in the past, real key.
  const claims = jwt.decode(token) as Record<string, unknown>;
  const iat = Math.floor(Date.now() / 1000) - 120;
  const expired = jwt.sign({ ...claims, iat, exp: iat + 60 }, ctx.key, { algorithm: 'HS256' });
  await jar.send('Who am I? (a minute later: expired)', 'GET', '/api/jwt/me', { cookies: { [ctx.policy.names.token]: expired } });
  const refreshed = await jar.send('Refresh (the store is touched)', 'POST', '/api/jwt/refresh');
  await jar.send('Who am I? (new token)', 'GET', '/api/jwt/me');
  const reuse = await ctx.jar().send('Attacker replays the first refresh token', 'POST', '/api/jwt/refresh', {
    cookies: { [firstRefresh]: firstRefreshValue },
  });
  const after = await jar.send('The victim refreshes again: the family is revoked', 'POST', '/api/jwt/refresh');
  const ok = refreshed.status === 200 && reuse.status === 401 && after.status === 401;
  return {
    session,
    jwt: ctx.outcome(
      ok ? 'protected' : 'exposed',
      ok
        ? 'A stolen access token lives a minute; the store was read only on refresh, and the replayed refresh token revoked its whole family.'
        : 'The refresh flow did not behave as expected; see the requests.',
    ),
  };
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function unsignedToken(claims: object): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
}

/** express-session's format: s:<id>.<HMAC-SHA256 of the id, base64 without padding>. */
function signSessionId(id: string, secret: Buffer | string): string {
  return encodeURIComponent(`s:${id}.${createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '')}`);
}

/** Logs in on both flows, then sends a credential derived from the real one instead. */
async function craftedCredential(
  ctx: RunContext,
  forgeToken: (claims: { sub: string; username: string; role: string; iat: number; exp: number; jti: string }) => string,
  forgeSession: ((id: string) => string) | null,
): Promise<Outcomes> {
  const out = {} as Outcomes;
  const jar = ctx.jar();
  if (forgeSession) {
    await jar.login('session');
    const real = decodeURIComponent(jar.cookies.get(ctx.policy.names.session) ?? '');
    const id = real.startsWith('s:') ? real.slice(2, real.lastIndexOf('.')) : real;
    const res = await ctx.jar().send('Send the crafted session cookie', 'GET', '/api/session/me', {
      cookies: { [ctx.policy.names.session]: forgeSession(id) },
    });
    out.session = ctx.outcome(refusedOrNot(res.status), res.status === 200 ? 'The crafted session cookie was accepted.' : `Refused (${res.status}): the cookie's HMAC signature does not hold, so the store is never asked.`);
  } else {
    out.session = ctx.outcome('not-applicable', 'A session ID carries no claims and no expiry to forge: the session row in the store has both.');
  }
  await jar.login('jwt');
  const real = jwt.decode(jar.cookies.get(ctx.policy.names.token) ?? '') as Parameters<typeof forgeToken>[0] | null;
  const crafted = forgeToken(real ?? { sub: '1', username: 'alice', role: 'user', iat: 0, exp: 0, jti: 'x' });
  const res = await ctx.jar().send('Send the crafted token', 'GET', '/api/jwt/me', { cookies: { [ctx.policy.names.token]: crafted } });
  out.jwt = ctx.outcome(refusedOrNot(res.status), res.status === 200 ? 'The crafted token was accepted.' : `Refused (${res.status}): ${res.error ?? ''}`);
  return out;
}

async function tamperedToken(ctx: RunContext): Promise<Outcomes> {
  return craftedCredential(
    ctx,
    // The real token with role: admin in the payload and the original signature.
    (claims) => {
      const real = jwt.sign(claims, ctx.key, { algorithm: 'HS256' });
      const [header, , signature] = real.split('.');
      return `${header}.${base64url({ ...claims, role: 'admin' })}.${signature}`;
    },
    (id) => {
      const signed = decodeURIComponent(signSessionId(id, 'not-the-secret'));
      const flipped = id.slice(0, -1) + (id.endsWith('A') ? 'B' : 'A');
      return encodeURIComponent(signed.replace(id, flipped));
    },
  );
}

async function forgedCredential(ctx: RunContext): Promise<Outcomes> {
  const madeUpId = randomBytes(24).toString('base64url');
  const session = await ctx.jar().send('Send a made-up session ID', 'GET', '/api/session/me', {
    cookies: { [ctx.policy.names.session]: madeUpId },
  });
  const sessionOut = ctx.outcome(refusedOrNot(session.status), `A made-up ID is worthless (${session.status}): unsigned, it never reaches the store; even a signed one would find no row.`);
  const token = await ctx.jar().send('Send a made-up token', 'GET', '/api/jwt/me', {
    cookies: { [ctx.policy.names.token]: `${base64url({ alg: 'HS256' })}.${base64url({ sub: '3', role: 'admin' })}.${randomBytes(32).toString('base64url')}` },
  });
  return {
    session: sessionOut,
    jwt: ctx.outcome(refusedOrNot(token.status), `A made-up token is refused (${token.status}): ${token.error ?? ''}`),
  };
}

async function sessionFixation(ctx: RunContext): Promise<Outcomes> {
  const out = {} as Outcomes;
  for (const flow of ['session', 'jwt'] as const) {
    const name = ctx.cookieName(flow);
    const attacker = ctx.jar();
    await attacker.login(flow, 'bob', 'builder');
    const planted = attacker.cookies.get(name);
    const victim = ctx.jar();
    if (planted) victim.cookies.set(name, planted); // e.g. through a subdomain or an XSS
    await victim.login(flow); // alice logs in with the planted cookie in her jar
    const changed = victim.cookies.get(name) !== planted;
    const use = await attacker.send('Attacker uses the planted cookie', 'GET', `/api/${flow}/me`);
    const user = (use.body?.user as { username?: string } | undefined)?.username;
    out[flow] = ctx.outcome(
      user === 'alice' ? 'exposed' : 'protected',
      user === 'alice'
        ? 'The planted cookie now opens alice’s account.'
        : flow === 'session'
          ? `Login issued a fresh session ID (${changed ? 'changed' : 'unchanged'}) and destroyed the planted one: the attacker gets ${use.status}.`
          : `Login replaced the token (${changed ? 'changed' : 'unchanged'}); the planted one still says ${user ?? 'nothing'}, never alice.`,
    );
  }
  return out;
}

async function storeOutage(ctx: RunContext): Promise<Outcomes> {
  const out = {} as Outcomes;
  for (const flow of ['session', 'jwt'] as const) {
    const jar = ctx.jar();
    await jar.login(flow);
    ctx.setOutage(true);
    let down;
    try {
      down = await jar.send('Who am I? (store down)', 'GET', `/api/${flow}/me`);
    } finally {
      ctx.setOutage(false);
    }
    const back = await jar.send('Who am I? (store restored)', 'GET', `/api/${flow}/me`);
    const summary =
      down.status === 503
        ? `Store down: 503 — fails closed with a clear message, nobody let in on a guess${flow === 'jwt' ? ' (the denylist lives in the session store, so revocation brought the dependency back)' : ''}. Restored: ${back.status}, the same login, no restart.`
        : `Store down: ${down.status} — ${flow === 'jwt' ? 'the JWT lane never asks the store' : 'unexpected'}. Restored: ${back.status}.`;
    out[flow] = ctx.outcome(back.status === 200 && (down.status === 503 || down.status === 200) ? 'protected' : 'exposed', summary);
  }
  return out;
}

// A restart, shown without restarting this server (which would cut every viewer off): a fresh lab
// process on the same data and secrets, and one with a new JWT secret, each sent this viewer's
// cookies (server/lab/restart.ts). What survives is what lives outside the process.
async function serverRestart(ctx: RunContext): Promise<Outcomes> {
  const launcher = ctx.deps.restart;
  if (!launcher) {
    const why = 'This lab was started without a way to start a second server.';
    return { session: ctx.outcome('not-applicable', why), jwt: ctx.outcome('not-applicable', why) };
  }
  const session = ctx.jar();
  await session.login('session');
  const servers = await launcher.start();
  try {
    const ask = async (jar: Jar, flow: Flow) => [
      await jar.send('Who am I? — on the restarted server (same data, same secrets)', 'GET', `/api/${flow}/me`, { base: servers.sameSecrets }),
      await jar.send('Who am I? — on a server restarted with a new JWT secret', 'GET', `/api/${flow}/me`, { base: servers.newJwtSecret }),
    ];
    const [s1, s2] = await ask(session, 'session');
    const out = {} as Outcomes;
    out.session = ctx.outcome(
      s1.status === 200 ? 'protected' : 'exposed',
      s1.status === 200
        ? `Survived the restart (200): the session lives in the store (SQLite or Redis), not in the process, and the new process found it. The new JWT secret changed nothing here (${s2.status}).`
        : `Lost in the restart (${s1.status}): the session lived in the old process's memory (STORE=memory), so every session user is logged out.`,
    );
    const token = ctx.jar();
    await token.login('jwt');
    const [j1, j2] = await ask(token, 'jwt');
    out.jwt = ctx.outcome(
      j1.status === 200 && j2.status === 401 ? 'protected' : 'exposed',
      `After a restart: ${j1.status}${j1.status === 200 ? ', the secret is kept (DATA_DIR/secrets.json or JWT_SECRET), so the new process checks the same signature' : ''}. With a new JWT secret: ${j2.status}${j2.status === 401 ? ', every token in circulation fails its signature at once: the only "log everyone out" switch the JWT flow has' : ''}.`,
    );
    return out;
  } finally {
    await servers.stop();
  }
}

// Scaling out (docs/scaling-out.md): the scenario's requests go back through the cluster primary,
// which deals each one to the next worker, so with STORE=memory half of them find no session.
async function severalWorkers(ctx: RunContext): Promise<Outcomes> {
  const out = {} as Outcomes;
  const inCluster = workerId() !== undefined;
  for (const flow of ['session', 'jwt'] as const) {
    const jar = ctx.jar();
    await jar.login(flow);
    const statuses: number[] = [];
    for (let i = 1; i <= 4; i++) statuses.push((await jar.send(`Who am I? (${i} of 4)`, 'GET', `/api/${flow}/me`)).status);
    const refused = statuses.filter((status) => status !== 200).length;
    const shared = flow === 'jwt' ? 'the token itself carries the user' : 'the session store is shared (STORE=sqlite or redis)';
    out[flow] = !inCluster
      ? ctx.outcome('not-applicable', `One process answered all four (${statuses.join(', ')}): start the lab with npm run cluster and STORE=memory to see them split.`)
      : refused === 0
        ? ctx.outcome('protected', `All four answered 200 whichever worker took them: ${shared}.`)
        : ctx.outcome(
            'exposed',
            `${refused} of 4 answered ${statuses.find((s) => s !== 200)}: the worker that took them never saw this session — each worker keeps its own MemoryStore, and the lane's timeline shows which one answered.`,
          );
  }
  return out;
}

async function originalPost(ctx: RunContext): Promise<Outcomes> {
  const stolen = await stolenCookie(ctx);
  const jar = ctx.jar();
  const login = await jar.login('jwt');
  const tokenCookie = login.setCookies.find((line) => line.startsWith(`${ctx.policy.names.token}=`)) ?? '';
  const claims = jwt.decode(jar.cookies.get(ctx.policy.names.token) ?? '') as Record<string, unknown> | null;
  await jar.send('Who am I? (default sessions write a session)', 'GET', '/api/jwt/me');
  const leaks = [
    claims && typeof claims.passwordHash === 'string' ? 'the password hash is in the token' : null,
    claims && claims.exp === undefined ? 'it has no exp' : null,
    tokenCookie && !/httponly/i.test(tokenCookie) ? 'the cookie is not HttpOnly' : null,
  ].filter(Boolean);
  return {
    session: stolen.session,
    jwt: {
      verdict: leaks.length > 0 || stolen.jwt.verdict === 'exposed' ? 'exposed' : 'protected',
      summary: `${leaks.join(', ')}; ${stolen.jwt.summary}`,
      requests: [...stolen.jwt.requests, ...ctx.outcome('exposed', '').requests],
    },
  };
}
