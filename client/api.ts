// The lab server's HTTP API, typed. Every call answers with a value, never throws: a request that
// never reached the server has status 0. Cookies travel by themselves (same origin, HttpOnly).
import type { Flow, LabSettings, PublicUser } from '../server/protocol.js';

export interface ApiAnswer<T> {
  status: number; // 0: network error
  ok: boolean;
  body: T | null; // the JSON body of a 2xx answer
  error: string | null; // the server's one-sentence error, or what went wrong on the way
  requestId: string | null; // X-Request-Id: the trace this request produced
  method: string;
  path: string;
}

/** GET /api/lab: the viewer's settings (more boolean switches may appear) and the store in use. */
export interface LabInfo {
  settings: LabSettings & Record<string, unknown>;
  store: string;
}

/** GET /api/lab/cookies: what the browser sent, decoded by the server (page JS cannot read HttpOnly cookies). */
export interface CookieReport {
  session: { present: boolean; id: string | null; signed: boolean; bytes?: number };
  jwt: {
    present: boolean;
    header: Record<string, unknown> | null;
    payload: Record<string, unknown> | null;
    signature: string | null;
    raw: { header: string; payload: string } | null;
    bytes?: number; // the whole cookie value, sent with every request
  };
  captured: { session: boolean; jwt: boolean };
}

async function call<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
  // no-store: every click must reach the server (a cached answer, or a 304, would have no real trace)
  const init: RequestInit = { method, headers: { Accept: 'application/json' }, cache: 'no-store' };
  if (body !== undefined) {
    init.headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    return { status: 0, ok: false, body: null, error: 'The server could not be reached.', requestId: null, method, path };
  }
  const requestId = response.headers.get('X-Request-Id');
  let json: unknown = null;
  if (response.status !== 204) json = await response.json().catch(() => null);
  const error = response.ok ? null : errorSentence(json, response);
  return { status: response.status, ok: response.ok, body: response.ok ? (json as T) : null, error, requestId, method, path };
}

function errorSentence(json: unknown, response: Response): string {
  if (json && typeof json === 'object' && typeof (json as { error?: unknown }).error === 'string') {
    return (json as { error: string }).error;
  }
  return `${response.status} ${response.statusText}`.trim();
}

type UserAnswer = { user: PublicUser };

// POST /api/<flow>/login: the server sets the flow's cookie on success.
export const logIn = (flow: Flow, username: string, password: string) =>
  call<UserAnswer>('POST', `/api/${flow}/login`, { username, password });

// GET /api/<flow>/me: the protected resource; who the cookie says you are.
export const whoAmI = (flow: Flow) => call<UserAnswer>('GET', `/api/${flow}/me`);

// POST /api/<flow>/logout: 204; the cookie is cleared (and the session destroyed).
export const logOut = (flow: Flow) => call<void>('POST', `/api/${flow}/logout`);

// POST /api/<flow>/replay: the server re-sends the cookie it captured at this viewer's last logout.
export const replayOldCookie = (flow: Flow) => call<UserAnswer>('POST', `/api/${flow}/replay`);

export const getLab = () => call<LabInfo>('GET', '/api/lab');

export const putLab = (patch: Record<string, unknown>) => call<LabInfo>('PUT', '/api/lab', patch);

export const getCookies = () => call<CookieReport>('GET', '/api/lab/cookies');

// POST /api/lab/load: the server runs `count` GET /api/<flow>/me at itself; progress comes over the socket.
export const startLoad = (flow: Flow, count: number) =>
  call<{ run: { runId: string; flow: Flow; total: number; concurrency: number } }>('POST', '/api/lab/load', { flow, count });
