// Both login flows end to end: login → me → logout → me, with the exact lookups each request made,
// checked against spies on the real stores.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LookupCounts } from '../server/protocol.js';
import { Client, startLab, Watcher, type TestLab } from './helpers.js';

let lab: TestLab;
let client: Client;
let watcher: Watcher;

const zero = (): LookupCounts => ({
  sessionStore: { reads: 0, writes: 0 },
  userDb: { reads: 0, writes: 0 },
  denylist: { reads: 0, writes: 0 },
});
const counts = (patch: Partial<LookupCounts>): LookupCounts => ({ ...zero(), ...patch });

/** Spies on the real (uncounted) stores: what the trace reports must equal what really happened. */
function spyOnStores() {
  const s = lab.stores.session;
  return {
    get: vi.spyOn(s, 'get'),
    set: vi.spyOn(s, 'set'),
    touch: vi.spyOn(s, 'touch'),
    destroy: vi.spyOn(s, 'destroy'),
    findById: vi.spyOn(lab.stores.users, 'findById'),
    findByUsername: vi.spyOn(lab.stores.users, 'findByUsername'),
  };
}
type Spies = ReturnType<typeof spyOnStores>;

function observed(spies: Spies): LookupCounts {
  return counts({
    sessionStore: { reads: spies.get.mock.calls.length, writes: spies.set.mock.calls.length + spies.touch.mock.calls.length + spies.destroy.mock.calls.length },
    userDb: { reads: spies.findById.mock.calls.length + spies.findByUsername.mock.calls.length, writes: 0 },
  });
}

async function traced(request: Promise<Response>) {
  const res = await request;
  const end = await watcher.endOf(res.headers.get('x-request-id'));
  return { res, end, body: res.status === 204 ? null : await res.json() };
}

beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.stop();
});
beforeEach(async () => {
  vi.restoreAllMocks();
  watcher?.close();
  client = new Client(lab.url);
  await client.becomeViewer();
  watcher = new Watcher(lab.url, client.cookieHeader);
  await watcher.connected();
});

describe('session flow', () => {
  describe('POST /api/session/login', () => {
    it('answers 200 {user} without a hash and sets a signed HttpOnly sid cookie', async () => {
      const res = await client.login('session');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ user: { id: 1, username: 'alice', role: 'user' } });
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('sid='));
      expect(cookie).toMatch(/^sid=s%3A[^;]+\.[^;]+;/);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      expect(cookie).toMatch(/Path=\//);
    });

    it('reads the user once and writes the new session, as the spies saw', async () => {
      const spies = spyOnStores();
      const { end } = await traced(client.login('session'));
      expect(end.lookups).toEqual(observed(spies));
      expect(end.lookups.userDb).toEqual({ reads: 1, writes: 0 });
      // passport's req.login saves the regenerated session, and express-session saves it once more
      // at the end of the response: regenerate() bypasses its change tracking. The lab shows both.
      expect(spies.set).toHaveBeenCalledTimes(2);
      expect(spies.destroy).toHaveBeenCalledTimes(1); // the pre-login ID, destroyed by regenerate
    });

    it('gives a pre-login session ID no power after login (fixation)', async () => {
      await client.login('session');
      const planted = client.cookies.get('sid');
      // the attacker keeps this ID; the victim logs in again on the same browser
      const res = await client.login('session');
      expect(res.status).toBe(200);
      expect(client.cookies.get('sid')).not.toBe(planted);
      const attacker = new Client(lab.url);
      attacker.cookies.set('sid', planted!);
      expect((await attacker.get('/api/session/me')).status).toBe(401);
      expect((await client.get('/api/session/me')).status).toBe(200);
    });
  });

  describe('GET /api/session/me', () => {
    it('reads the session store once and touches it once (express-session touch), no user-database read', async () => {
      await client.login('session');
      const spies = spyOnStores();
      const { res, end, body } = await traced(client.get('/api/session/me'));
      expect(res.status).toBe(200);
      expect(body).toEqual({ user: { id: 1, username: 'alice', role: 'user' } });
      expect(end.lookups).toEqual(counts({ sessionStore: { reads: 1, writes: 1 } }));
      expect(end.lookups).toEqual(observed(spies));
    });

    it("also loads the user by id in the 'database' deserialize mode", async () => {
      await client.login('session');
      expect((await client.put('/api/lab', { deserialize: 'database' })).status).toBe(200);
      const spies = spyOnStores();
      const { end } = await traced(client.get('/api/session/me'));
      expect(end.lookups).toEqual(counts({ sessionStore: { reads: 1, writes: 1 }, userDb: { reads: 1, writes: 0 } }));
      expect(end.lookups).toEqual(observed(spies));
      expect(spies.findById).toHaveBeenCalledWith(1);
    });

    it('adds the simulated latency to every store call and shows it on the step', async () => {
      await client.login('session');
      await client.put('/api/lab', { latencyMs: 40 });
      const spies = spyOnStores();
      const { res, end } = await traced(client.get('/api/session/me'));
      expect(end.lookups).toEqual(counts({ sessionStore: { reads: 1, writes: 1 } }));
      expect(end.lookups).toEqual(observed(spies));
      const get = watcher.stepsOf(res.headers.get('x-request-id')).find((s) => s.name === 'session.store.get');
      expect(get?.detail?.simulatedLatencyMs).toBe(40);
      expect(get?.durationMs).toBeGreaterThanOrEqual(39);
    });

    it('answers 401 with a sentence and reads no store without a cookie', async () => {
      const spies = spyOnStores();
      const { res, end, body } = await traced(client.get('/api/session/me'));
      expect(res.status).toBe(401);
      expect(body.error).toMatch(/not logged in/);
      expect(end.lookups).toEqual(zero());
      expect(observed(spies)).toEqual(zero());
    });
  });

  describe('POST /api/session/logout', () => {
    it('destroys the session in the store, clears the cookie, and the old cookie then gets 401', async () => {
      await client.login('session');
      const old = client.cookies.get('sid')!;
      const spies = spyOnStores();
      const { res, end } = await traced(client.post('/api/session/logout'));
      expect(res.status).toBe(204);
      expect(res.headers.getSetCookie().find((c) => c.startsWith('sid='))).toMatch(/Expires=Thu, 01 Jan 1970/);
      expect(spies.destroy).toHaveBeenCalledTimes(1);
      expect(end.lookups).toEqual(observed(spies));
      expect(client.cookies.has('sid')).toBe(false);
      expect((await client.get('/api/session/me')).status).toBe(401);
      const thief = new Client(lab.url);
      thief.cookies.set('sid', old);
      expect((await thief.get('/api/session/me')).status).toBe(401);
    });

    it('replays the captured cookie through the real /me path: 401 after logout', async () => {
      await client.login('session');
      await client.post('/api/session/logout');
      const { res, end } = await traced(client.post('/api/session/replay'));
      expect(res.status).toBe(401);
      expect(end.path).toBe('/api/session/replay');
      expect(end.lookups.sessionStore.reads).toBe(1);
    });
  });
});

describe('JWT flow', () => {
  describe('POST /api/jwt/login', () => {
    it('sets an HttpOnly token cookie without a password hash in it', async () => {
      const res = await client.login('jwt');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ user: { id: 1, username: 'alice', role: 'user' } });
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('token='))!;
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      expect(cookie).toMatch(/Max-Age=900/);
      const [header, payload] = client.cookies.get('token')!.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
      expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
      expect(Object.keys(payload).sort()).toEqual(['exp', 'iat', 'jti', 'role', 'sub', 'username']);
      expect(payload.exp - payload.iat).toBe(900);
      expect(JSON.stringify(payload)).not.toMatch(/scrypt|password/);
    });

    it('reads the user once and no session store', async () => {
      const spies = spyOnStores();
      const { end } = await traced(client.login('jwt'));
      expect(end.lookups).toEqual(counts({ userDb: { reads: 1, writes: 0 } }));
      expect(end.lookups).toEqual(observed(spies));
    });
  });

  describe('GET /api/jwt/me', () => {
    it('answers from the claims alone: zero lookups, with or without latency or deserialize mode', async () => {
      await client.login('jwt');
      await client.put('/api/lab', { latencyMs: 30, deserialize: 'database' });
      const spies = spyOnStores();
      const { res, end, body } = await traced(client.get('/api/jwt/me'));
      expect(res.status).toBe(200);
      expect(body).toEqual({ user: { id: 1, username: 'alice', role: 'user' } });
      expect(end.lookups).toEqual(zero());
      expect(observed(spies)).toEqual(zero());
      const names = watcher.stepsOf(res.headers.get('x-request-id')).map((s) => s.name);
      expect(names).toEqual(['jwt.cookie.read', 'jwt.verify', 'response.send']);
    });
  });

  describe('POST /api/jwt/logout', () => {
    it('expires the cookie, yet the old token still works until exp (replay gives 200)', async () => {
      await client.login('jwt');
      const old = client.cookies.get('token')!;
      const res = await client.post('/api/jwt/logout');
      expect(res.status).toBe(204);
      expect(res.headers.getSetCookie().find((c) => c.startsWith('token='))).toMatch(/Expires=Thu, 01 Jan 1970/);
      expect((await client.get('/api/jwt/me')).status).toBe(401);
      const replay = await client.post('/api/jwt/replay');
      expect(replay.status).toBe(200);
      const thief = new Client(lab.url);
      thief.cookies.set('token', old);
      expect((await thief.get('/api/jwt/me')).status).toBe(200);
    });
  });

  describe('POST /api/*/replay', () => {
    it('answers 409 with a sentence when nothing was captured', async () => {
      const res = await client.post('/api/jwt/replay');
      expect(res.status).toBe(409);
      expect((await res.json()).error).toMatch(/log in, then log out/);
    });
  });
});

describe('trace', () => {
  it('streams steps with doc, source and timings, then one end, and sends X-Request-Id and Server-Timing', async () => {
    await client.login('session');
    const res = await client.get('/api/session/me');
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const end = await watcher.endOf(id);
    expect(end).toMatchObject({ flow: 'session', method: 'GET', path: '/api/session/me', status: 200 });
    const steps = watcher.stepsOf(id);
    expect(steps.map((s) => s.name)).toEqual([
      'session.cookie.read',
      'session.store.get',
      'session.deserialize',
      'response.send',
      'session.store.touch',
    ]);
    expect(steps.map((s) => s.seq)).toEqual([0, 1, 2, 3, 4]);
    for (const step of steps) {
      expect(step.doc).toMatch(/^docs\/session-flow\.md#[a-z0-9-]+$/);
      expect(step.source).toMatch(/^server\/.+\.ts$/);
      expect(step.durationMs).toBeGreaterThanOrEqual(0);
      expect(step.atMs).toBeLessThanOrEqual(end.durationMs);
    }
    expect(steps[1]?.lookup).toEqual({ kind: 'sessionStore', op: 'get', write: false });
    expect(steps[4]?.lookup).toEqual({ kind: 'sessionStore', op: 'touch', write: true });
    // Server-Timing carries the steps finished before the headers went out: not the touch
    const timing = res.headers.get('server-timing')!;
    expect(timing).toMatch(/^session\.cookie\.read;dur=[\d.]+;desc="[^"]+", session\.store\.get;dur=/);
    expect(timing).not.toMatch(/touch/);
  });

  it("never carries a password or a hash in a step's detail", async () => {
    await client.login('session');
    await client.login('jwt');
    const text = JSON.stringify(watcher.steps);
    expect(text).not.toMatch(/wonderland|scrypt\$/);
  });

  it("sends a viewer only its own requests' traces", async () => {
    const other = new Client(lab.url);
    await other.becomeViewer();
    const otherWatcher = new Watcher(lab.url, other.cookieHeader);
    await otherWatcher.connected();
    try {
      const mine = await client.login('jwt');
      const theirs = await other.login('jwt');
      await watcher.endOf(mine.headers.get('x-request-id'));
      await otherWatcher.endOf(theirs.headers.get('x-request-id'));
      expect(watcher.ends.map((e) => e.requestId)).not.toContain(theirs.headers.get('x-request-id'));
      expect(otherWatcher.ends.map((e) => e.requestId)).not.toContain(mine.headers.get('x-request-id'));
      expect(otherWatcher.steps.every((s) => s.requestId === theirs.headers.get('x-request-id'))).toBe(true);
    } finally {
      otherWatcher.close();
    }
  });

  it('traces a request without a lab cookie to no one, and issues it one', async () => {
    const stranger = new Client(lab.url);
    const res = await stranger.get('/api/jwt/me');
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie().some((c) => /^lab=[0-9a-f]{32};/.test(c))).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(watcher.ends.map((e) => e.requestId)).not.toContain(res.headers.get('x-request-id'));
  });

  it('refuses a socket handshake from a foreign Origin, and one without a lab cookie', async () => {
    const foreign = new Watcher(lab.url, client.cookieHeader, 'http://evil.example');
    await expect(foreign.connected()).rejects.toThrow();
    foreign.close();
    const anonymous = new Watcher(lab.url, '');
    await expect(anonymous.connected()).rejects.toThrow();
    anonymous.close();
  });
});
