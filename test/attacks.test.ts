// The attack lab's scenarios, run through POST /api/lab/scenarios/:id against a real lab on a temp
// dir: each asserts how both flows fare. The CSRF and XSS scenarios need a browser: see
// test/attacks-csrf.test.ts (the server side) and test/e2e/attacks.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../server/protocol.js';
import { Client, startLab, Watcher, type TestLab } from './helpers.js';

const LIMITS = { perAccount: { limit: 1000, windowMs: 60_000 }, perAddress: { limit: 1000, windowMs: 60_000 } };

let lab: TestLab;

beforeAll(async () => {
  lab = await startLab({}, { loginLimits: LIMITS });
});
afterAll(async () => {
  await lab.stop();
});

async function viewer(): Promise<Client> {
  const client = new Client(lab.url);
  await client.becomeViewer();
  return client;
}

async function run(client: Client, id: string): Promise<ScenarioResult> {
  const res = await client.post(`/api/lab/scenarios/${id}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as ScenarioResult;
}

const statuses = (result: ScenarioResult, flow: 'session' | 'jwt') => result.flows[flow].requests.map((r) => r.status);

describe('GET /api/lab/scenarios', () => {
  it('lists every scenario with its walkthrough anchor in docs/attacks.md', async () => {
    const res = await (await viewer()).get('/api/lab/scenarios');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { scenarios: { id: string; doc: string }[] };
    expect(body.scenarios.map((s) => s.id)).toContain('stolen-cookie-after-logout');
    for (const s of body.scenarios) expect(s.doc).toBe(`docs/attacks.md#${s.id}`);
  });
});

describe('POST /api/lab/scenarios/:id', () => {
  it('answers 404 with a sentence for an unknown scenario', async () => {
    const res = await (await viewer()).post('/api/lab/scenarios/nope');
    expect(res.status).toBe(404);
    expect((await res.json()).error).toMatch(/no scenario/);
  });

  it('answers 400 without a lab cookie, and 409 for a scenario that runs in the browser', async () => {
    expect((await new Client(lab.url).post('/api/lab/scenarios/tampered-token')).status).toBe(400);
    expect((await (await viewer()).post('/api/lab/scenarios/csrf')).status).toBe(409);
  });

  it('stolen cookie after logout: the session copy is refused, the JWT copy still works', async () => {
    const result = await run(await viewer(), 'stolen-cookie-after-logout');
    expect(statuses(result, 'session')).toEqual([200, 204, 401]);
    expect(statuses(result, 'jwt')).toEqual([200, 204, 200]);
    expect(result.flows.session.verdict).toBe('protected');
    expect(result.flows.jwt.verdict).toBe('exposed');
    expect(result.settings.denylist).toBe(false);
  });

  it('revocation on: logout revokes the jti, the copy gets 401, and each JWT request reads the denylist', async () => {
    const client = await viewer();
    const watcher = new Watcher(lab.url, client.cookieHeader);
    await watcher.connected();
    const result = await run(client, 'revocation-on');
    expect(statuses(result, 'jwt')).toEqual([200, 204, 401]);
    const [, logout, replay] = result.flows.jwt.requests;
    expect(logout?.steps).toContain('jwt.denylist.revoke');
    expect(replay?.steps).toContain('jwt.denylist.check');
    expect(replay?.error).toMatch(/revoked/);
    const end = await watcher.endOf(replay?.requestId ?? null);
    expect(end.lookups.denylist).toEqual({ reads: 1, writes: 0 });
    watcher.close();
  });

  it('short expiry with refresh: the store is read only on refresh, and a reused refresh token revokes the family', async () => {
    const result = await run(await viewer(), 'short-expiry-with-refresh');
    expect(result.flows.session.verdict).toBe('not-applicable');
    const jwt = result.flows.jwt.requests;
    expect(jwt.map((r) => r.status)).toEqual([200, 200, 401, 200, 200, 401, 401]);
    expect(jwt[1]?.steps.some((s) => s.startsWith('jwt.refresh'))).toBe(false); // an ordinary request
    expect(jwt[2]?.error).toMatch(/expired/);
    expect(jwt[3]?.steps).toEqual(expect.arrayContaining(['jwt.refresh.find', 'jwt.refresh.rotate']));
    expect(jwt[5]?.error).toMatch(/already used/);
    expect(jwt[5]?.steps).toContain('jwt.refresh.revoke-family');
    expect(result.flows.jwt.verdict).toBe('protected');
  });

  it.each([
    ['tampered-token', /signature does not match/],
    ['alg-none', /not signed/],
    ['signed-with-another-secret', /signature does not match/],
    ['expired-token', /expired/],
    ['token-without-exp', /no expiry/],
    ['forged-session-id', /not a well-formed|signature does not match/],
  ])('%s: the crafted JWT gets 401 with the reason', async (id, reason) => {
    const result = await run(await viewer(), id);
    const last = result.flows.jwt.requests.at(-1);
    expect(last?.status).toBe(401);
    expect(last?.error).toMatch(reason);
    expect(result.flows.jwt.verdict).toBe('protected');
    if (result.flows.session.verdict !== 'not-applicable') {
      expect(result.flows.session.requests.at(-1)?.status).toBe(401);
      expect(result.flows.session.verdict).toBe('protected');
    }
  });

  it('session fixation: a planted cookie never becomes the victim’s login on either flow', async () => {
    const result = await run(await viewer(), 'session-fixation');
    expect(result.flows.session.requests.at(-1)?.status).toBe(401);
    expect(result.flows.session.verdict).toBe('protected');
    expect(result.flows.jwt.verdict).toBe('protected');
  });

  it('store outage: the session lane answers 503 and recovers without a restart; the JWT lane keeps working', async () => {
    const client = await viewer();
    const result = await run(client, 'store-outage');
    expect(statuses(result, 'session')).toEqual([200, 503, 200]);
    expect(result.flows.session.requests[1]?.error).toMatch(/session store is unavailable/);
    expect(statuses(result, 'jwt')).toEqual([200, 200, 200]);
    expect(result.settings.storeOutage).toBe(false);
  });

  it('store outage with the denylist on: the JWT lane fails closed too, since the denylist shares the store', async () => {
    const client = await viewer();
    await client.put('/api/lab', { denylist: true });
    const result = await run(client, 'store-outage');
    expect(statuses(result, 'jwt')).toEqual([200, 503, 200]);
  });

  it('original-post mode: the token carries the password hash, no exp, a script-readable cookie; the copy works after logout', async () => {
    const client = await viewer();
    const result = await run(client, 'original-post-mode');
    expect(result.settings.originalPost).toBe(true);
    expect(result.flows.jwt.verdict).toBe('exposed');
    expect(result.flows.jwt.summary).toMatch(/password hash is in the token/);
    expect(result.flows.jwt.summary).toMatch(/no exp/);
    expect(result.flows.jwt.summary).toMatch(/not HttpOnly/);
    expect(result.flows.jwt.requests.slice(0, 3).map((r) => r.status)).toEqual([200, 204, 200]);
    expect(result.flows.jwt.requests.at(-1)?.steps).toContain('original.session.login');
    expect(statuses(result, 'session').slice(0, 3)).toEqual([200, 204, 401]);
  });

  it("leaves the session lane's cookie options alone (original-post mode has its own express-session)", async () => {
    const client = await viewer();
    const login = await client.login('session');
    const sid = login.headers.getSetCookie().find((c) => c.startsWith('sid='));
    expect(sid).toMatch(/SameSite=Lax/);
    expect(sid).toMatch(/Expires=/);
  });

  it('scenarios are per viewer: another viewer’s settings and traces are untouched', async () => {
    const mine = await viewer();
    const other = await viewer();
    const watcher = new Watcher(lab.url, other.cookieHeader);
    await watcher.connected();
    await run(mine, 'original-post-mode');
    const theirs = (await (await other.get('/api/lab')).json()) as { settings: { originalPost: boolean } };
    expect(theirs.settings.originalPost).toBe(false);
    expect(watcher.ends).toHaveLength(0);
    watcher.close();
  });
});
