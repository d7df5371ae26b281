// Server restart and secret rotation (docs/attacks.md#server-restart): a real lab stopped and
// started again on the same DATA_DIR, keeping or replacing the JWT secret; and the dashboard's
// one-click version, which starts fresh lab processes on the running lab's data.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.js';
import { createRestartLauncher } from '../server/lab/restart.js';
import type { ScenarioResult } from '../server/protocol.js';
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

describe('POST /api/lab/scenarios/server-restart', () => {
  async function runRestart(url: string): Promise<ScenarioResult> {
    const client = new Client(url);
    await client.becomeViewer();
    const res = await client.post('/api/lab/scenarios/server-restart');
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as ScenarioResult;
  }
  const statuses = (result: ScenarioResult, flow: 'session' | 'jwt') => result.flows[flow].requests.map((r) => r.status);

  it('on SQLite: both logins survive a fresh process; a new JWT secret refuses the token only, and is never saved', async () => {
    lab = await startLab();
    const secrets = readFileSync(join(lab.dataDir, 'secrets.json'), 'utf8');
    const result = await runRestart(lab.url);
    expect(statuses(result, 'session')).toEqual([200, 200, 200]); // login, restarted, restarted with a new JWT secret
    expect(statuses(result, 'jwt')).toEqual([200, 200, 401]);
    expect(result.flows.jwt.requests[2]!.error).toMatch(/signature does not match/);
    expect(result.flows.session.verdict).toBe('protected');
    expect(result.flows.jwt.summary).toMatch(/every token in circulation fails its signature/);
    expect(readFileSync(join(lab.dataDir, 'secrets.json'), 'utf8')).toBe(secrets);
    // this lab never restarted: the same viewer's logins still work here
    const client = new Client(lab.url);
    await client.becomeViewer();
    expect((await client.login('jwt')).status).toBe(200);
    expect((await client.get('/api/jwt/me')).status).toBe(200);
  });

  it('with STORE=memory: the fresh process has never heard of the session', async () => {
    lab = await startLab({ STORE: 'memory' });
    const result = await runRestart(lab.url);
    expect(statuses(result, 'session')).toEqual([200, 401, 401]);
    expect(result.flows.session.verdict).toBe('exposed');
    expect(result.flows.session.summary).toMatch(/STORE=memory/);
    expect(statuses(result, 'jwt')).toEqual([200, 200, 401]);
  });
});

describe('the restart scenario’s second server', () => {
  it('says in one sentence why it could not start (503), instead of hanging', async () => {
    const config = loadConfig({ DATA_DIR: tempDataDir() });
    const notADirectory = join(config.dataDir, 'a-file');
    writeFileSync(notADirectory, '');
    const launcher = createRestartLauncher({ ...config, dataDir: notADirectory });
    const failed = await launcher.start().then(
      () => null,
      (err: unknown) => err as { status: number; message: string },
    );
    expect(failed?.status).toBe(503);
    expect(failed?.message).toMatch(/^The second server for the restart could not start: The lab could not start: /);
    expect(failed?.message).not.toMatch(/\n/);
    rmSync(config.dataDir, { recursive: true, force: true });
  });

  it('stops when the lab that started it is killed outright', async () => {
    const dataDir = tempDataDir();
    const parent = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/restart-parent.ts'], {
      env: { ...process.env, DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const base = await new Promise<string>((resolve, reject) => {
        let out = '';
        parent.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const url = /second server: (\S+)/.exec(out)?.[1];
          if (url) resolve(url);
        });
        parent.once('exit', (code) => reject(new Error(`the parent exited with ${code}: ${out}`)));
      });
      expect((await fetch(`${base}/api/health`)).status).toBe(200);
      parent.kill('SIGKILL');
      let answering = true;
      for (let waited = 0; answering && waited < 10_000; waited += 100) {
        await new Promise((r) => setTimeout(r, 100));
        answering = await fetch(`${base}/api/health`).then(
          () => true,
          () => false,
        );
      }
      expect(answering).toBe(false);
    } finally {
      parent.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
