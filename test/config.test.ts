// server/config.ts: bad configuration stops the server at start-up with a sentence naming the variable.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../server/config.js';
import { tempDataDir } from './helpers.js';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({ DATA_DIR: tempDataDir() });
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', store: 'sqlite', storeLatencyMs: 0, workers: 1, secureCookies: false });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['STORE', 'postgres'],
    ['STORE_LATENCY_MS', '-5'],
    ['WORKERS', '0'],
    ['REDIS_URL', 'http://localhost'],
    ['SESSION_SECRET', 'short'],
    ['JWT_SECRET', 'also too short for HS256'],
    ['PUBLIC_URL', 'lab.example.org'],
  ])('refuses %s=%s with a sentence naming it', (name, value) => {
    const load = () => loadConfig({ DATA_DIR: tempDataDir(), [name]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^${name} `));
  });

  it('generates secrets once, keeps them in DATA_DIR (mode 600) and reuses them', () => {
    const dir = tempDataDir();
    const first = loadConfig({ DATA_DIR: dir });
    expect(Buffer.byteLength(first.sessionSecret)).toBeGreaterThanOrEqual(32);
    expect(first.jwtSecret).not.toBe(first.sessionSecret);
    expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
    const second = loadConfig({ DATA_DIR: dir });
    expect(second.sessionSecret).toBe(first.sessionSecret);
    expect(second.jwtSecret).toBe(first.jwtSecret);
  });

  it('takes a given secret of 32 bytes or more over the stored one', () => {
    const dir = tempDataDir();
    loadConfig({ DATA_DIR: dir });
    const given = 'j'.repeat(32);
    expect(loadConfig({ DATA_DIR: dir, JWT_SECRET: given }).jwtSecret).toBe(given);
    expect(readFileSync(join(dir, 'secrets.json'), 'utf8')).not.toContain(given); // never written to disk
  });

  it('refuses a corrupt secrets file instead of silently logging everyone out', () => {
    const dir = tempDataDir();
    writeFileSync(join(dir, 'secrets.json'), '{oops');
    expect(() => loadConfig({ DATA_DIR: dir })).toThrow(/secrets\.json is not valid JSON/);
  });

  it('makes cookies Secure when served over HTTPS', () => {
    expect(loadConfig({ DATA_DIR: tempDataDir(), PUBLIC_URL: 'https://lab.example.org' }).secureCookies).toBe(true);
  });
});

describe('server/index.ts at start-up', () => {
  const start = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
      env: { ...process.env, DATA_DIR: tempDataDir(), PORT: '0', ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });

  it('stops with exit code 1 and one line naming a bad variable', () => {
    const run = start({ STORE_LATENCY_MS: 'lots' });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe('Configuration error: STORE_LATENCY_MS must be a whole number from 0 to 5000 (got "lots").');
  });

  it('stops with exit code 1 and one line when DATA_DIR cannot be written', () => {
    const file = join(tempDataDir(), 'a-file');
    writeFileSync(file, '');
    const run = start({ DATA_DIR: join(file, 'data') });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(/^The lab could not start: ENOTDIR[^\n]*$/);
  });
});
