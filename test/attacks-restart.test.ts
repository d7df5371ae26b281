// Server restart and secret rotation (docs/attacks.md#server-restart): a real lab stopped and
// started again on the same DATA_DIR, keeping or replacing the JWT secret.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, startLab, tempDataDir, type TestLab } from './helpers.js';

let lab: TestLab | null = null;
afterEach(async () => {
  await lab?.stop();
  lab = null;
});

async function loggedIn(url: string): Promise<Client> {
  const client = new Client(url);
  await client.becomeViewer();
  expect((await client.login('session')).status).toBe(200);
  expect((await client.login('jwt')).status).toBe(200);
  return client;
}

async function sameCookiesOn(url: string, before: Client): Promise<Client> {
  const client = new Client(url);
  for (const [name, value] of before.cookies) client.cookies.set(name, value);
  return client;
}

describe('restarting the server', () => {
  it('keeps both logins when the data dir and the secrets stay', async () => {
    const dataDir = tempDataDir();
    const first = await startLab({}, { dataDir });
    const client = await loggedIn(first.url);
    await first.stop({ keepData: true });
    lab = await startLab({}, { dataDir });
    const again = await sameCookiesOn(lab.url, client);
    expect((await again.get('/api/session/me')).status).toBe(200);
    expect((await again.get('/api/jwt/me')).status).toBe(200);
  });

  it('logs every JWT user out, and no session user, when JWT_SECRET is rotated', async () => {
    const dataDir = tempDataDir();
    const first = await startLab({ JWT_SECRET: randomBytes(32).toString('base64url') }, { dataDir });
    const client = await loggedIn(first.url);
    await first.stop({ keepData: true });
    lab = await startLab({ JWT_SECRET: randomBytes(32).toString('base64url') }, { dataDir });
    const again = await sameCookiesOn(lab.url, client);
    expect((await again.get('/api/session/me')).status).toBe(200);
    const jwt = await again.get('/api/jwt/me');
    expect(jwt.status).toBe(401);
    expect((await jwt.json()).error).toMatch(/signature does not match/);
  });
});
