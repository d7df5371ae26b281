// What a restart does: sessions persist in SQLite, JWTs persist because the secret does.
import { afterEach, describe, expect, it } from 'vitest';
import { Client, startLab, tempDataDir, type TestLab } from './helpers.js';

let lab: TestLab | undefined;
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});

describe('a server restart on the same DATA_DIR', () => {
  it('keeps sessions (SQLite) and JWTs (the persisted secret) working', async () => {
    const dataDir = tempDataDir();
    lab = await startLab({}, { dataDir });
    const before = new Client(lab.url);
    expect((await before.login('session')).status).toBe(200);
    expect((await before.login('jwt', 'bob', 'builder')).status).toBe(200);
    await lab.stop({ keepData: true });

    lab = await startLab({}, { dataDir });
    const after = new Client(lab.url);
    for (const [name, value] of before.cookies) after.cookies.set(name, value);
    expect(await (await after.get('/api/session/me')).json()).toEqual({ user: { id: 1, username: 'alice', role: 'user' } });
    expect(await (await after.get('/api/jwt/me')).json()).toEqual({ user: { id: 2, username: 'bob', role: 'user' } });
  });

  it('loses sessions with STORE=memory', async () => {
    const dataDir = tempDataDir();
    lab = await startLab({ STORE: 'memory' }, { dataDir });
    const before = new Client(lab.url);
    expect((await before.login('session')).status).toBe(200);
    expect((await before.get('/api/session/me')).status).toBe(200);
    await lab.stop({ keepData: true });

    lab = await startLab({ STORE: 'memory' }, { dataDir });
    const after = new Client(lab.url);
    for (const [name, value] of before.cookies) after.cookies.set(name, value);
    expect((await after.get('/api/session/me')).status).toBe(401);
  });
});
