// Wire types shared by the server and the dashboard (the client imports them with `import type`).
// This file holds types only, so importing it never pulls server code into the browser bundle.

export type Flow = 'session' | 'jwt';

export type LookupKind = 'sessionStore' | 'userDb' | 'denylist';

/** One call really made to a store: which store, which operation, and whether it wrote. */
export interface Lookup {
  kind: LookupKind;
  op: string; // get | set | touch | destroy | findById | findByUsername | has | add | …
  write: boolean;
}

export interface TraceStep {
  requestId: string;
  flow: Flow;
  seq: number;
  name: string; // stable id from the step registry (server/trace/steps.ts), e.g. 'jwt.verify'
  label: string; // one line for people
  atMs: number; // since the request began
  durationMs: number;
  lookup?: Lookup; // present when this step touched a store
  detail?: Record<string, string | number | boolean | null>;
  doc: string; // e.g. 'docs/session-flow.md#read-the-session'
  source: string; // e.g. 'server/session/strategy.ts'
}

export type LookupCounts = Record<LookupKind, { reads: number; writes: number }>;

export interface TraceEnd {
  requestId: string;
  flow: Flow;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  lookups: LookupCounts;
  worker?: number; // which process answered (scaling out)
  // Time inside the request that no step covers: Express routing and middleware, writing the body,
  // waiting on the event loop. The steps' durationMs plus this make durationMs.
  untracedMs?: number;
  tracerMs?: number; // the tracer's own bookkeeping for this request (inside untracedMs)
}

/** Ended requests of one flow that a trace:batch counts instead of sending their steps. */
export interface TraceSummary {
  requests: number;
  lookups: LookupCounts;
  durationMs: { total: number; max: number };
  statuses: Record<string, number>; // e.g. { '200': 97, '401': 3 }
}

/**
 * Under a burst the server stops sending one message per step: a viewer gets at most a few of
 * these a second, with the newest requests in full and the others added up per flow.
 */
export interface TraceBatch {
  requests: { steps: TraceStep[]; end: TraceEnd }[]; // complete, oldest first; steps already sent live are left out
  summarised: Partial<Record<Flow, TraceSummary>>; // ended requests not in `requests`
}

/** POST /api/lab/load: a server-side run of GET /api/<flow>/me, reported to the viewer who started it. */
export interface LoadProgress {
  runId: string;
  flow: Flow;
  total: number;
  done: number; // answered, whatever the status
  failed: number; // answered with something other than 200, or not at all
  elapsedMs: number;
  requestsPerSecond: number;
  lookupsPerRequest: number | null; // from the runs' traces; null when tracing is off
  statuses: Record<string, number>;
  user: string | null; // whom the run is logged in as
  finished: boolean;
  error?: string; // why the run stopped early
}

/** A viewer's lab settings (GET/PUT /api/lab). New switches are added here and in server/lab/settings.ts. */
export interface LabSettings {
  latencyMs: number; // simulated round-trip added to every store call
  deserialize: 'session' | 'database'; // session flow: trust the session's copy of the user, or reload it by id
  denylist: boolean; // jwt flow: logout revokes the token's jti, and every request reads the denylist
  originalPost: boolean; // jwt flow runs the blog post's own pattern (docs/attacks.md#original-post-mode)
  refresh: boolean; // jwt flow: 60-second access tokens plus a rotating refresh token
  csrfCheck: boolean; // refuse unsafe API requests another site sent (Origin / Sec-Fetch-Site)
  sameSite: 'lax' | 'none'; // SameSite of the cookies the lab sets for this viewer from now on
  storeOutage: boolean; // this viewer's calls to the session store (denylist, refresh tokens) fail
}

/** GET /api/lab/scenarios: the attack lab's registry (server/lab/scenarios.ts). */
export interface ScenarioInfo {
  id: string;
  title: string;
  summary: string;
  doc: string; // docs/attacks.md#<id>
  runsIn: 'server' | 'browser'; // server: POST runs it; browser: the attacker page does
  settings: Partial<LabSettings>; // what running it switches for this viewer
}

/** One request a scenario made, through the real server, traced to the viewer who ran it. */
export interface ScenarioRequest {
  label: string;
  method: string;
  path: string;
  status: number;
  requestId: string | null;
  error: string | null;
  steps: string[]; // the step names from its Server-Timing header
}

export interface ScenarioOutcome {
  verdict: 'protected' | 'exposed' | 'not-applicable';
  summary: string;
  requests: ScenarioRequest[];
}

/** POST /api/lab/scenarios/:id */
export interface ScenarioResult {
  id: string;
  doc: string;
  settings: LabSettings; // the viewer's settings after the run
  flows: Record<Flow, ScenarioOutcome>;
}

/** `{user}` in API answers: never a password hash. */
export interface PublicUser {
  id: number;
  username: string;
  role: 'user' | 'admin';
}

export interface ServerToClientEvents {
  'trace:step': (step: TraceStep) => void;
  'trace:end': (end: TraceEnd) => void;
  'trace:batch': (batch: TraceBatch) => void;
  'load:progress': (progress: LoadProgress) => void;
}

// The dashboard sends nothing over the socket: its room comes from its handshake cookie.
export type ClientToServerEvents = Record<string, never>;
