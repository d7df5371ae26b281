// The security baseline: every bad input gets a 4xx and one sentence, never a crash or a stack trace.
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Client, startLab, Watcher, type TestLab } from './helpers.js';

let lab: TestLab;
let client: Client;

beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.stop();
});
beforeEach(() => {
  client = new Client(lab.url);
});

async function expectError(res: Response, status: number, pattern: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await res.json()) as { error: string };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toMatch(pattern);
  expect(body.error).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/); // no stack trace
  return body.error;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  sub: '1',
  username: 'alice',
  role: 'user',
  iat: now(),
  exp: now() + 600,
  jti: 'test-jti',
  ...extra,
});
const hs256 = (payload: object, secret: string, header: object = { alg: 'HS256', typ: 'JWT' }) => {
  const head = `${b64(header)}.${b64(payload)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
};

describe('GET /api/jwt/me with a bad token', () => {
  const cases: [string, () => string, RegExp, string][] = [
    ['a tampered payload (role changed to admin)', () => {
      const good = hs256(claims(), lab.config.jwtSecret);
      const [h, , s] = good.split('.');
      return `${h}.${b64(claims({ role: 'admin' }))}.${s}`;
    }, /signature does not match/, 'bad-signature'],
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`, /not signed|not a well-formed|algorithm/, 'unsigned'],
    ['another secret', () => hs256(claims(), 'x'.repeat(40)), /signature does not match/, 'bad-signature'],
    ['an expired token', () => hs256(claims({ iat: now() - 1000, exp: now() - 10 }), lab.config.jwtSecret), /expired/, 'expired'],
    ['no exp', () => {
      const { exp: _exp, ...rest } = claims();
      return hs256(rest, lab.config.jwtSecret);
    }, /no expiry/, 'missing-exp'],
    ['HS512 instead of HS256', () => jwt.sign(claims(), lab.config.jwtSecret, { algorithm: 'HS512' }), /algorithm/, 'wrong-algorithm'],
    ['garbage', () => 'not.a.jwt', /well-formed/, 'malformed'],
  ];

  for (const [what, make, message, reason] of cases) {
    it(`answers 401 for ${what}, and the trace shows why`, async () => {
      await client.becomeViewer();
      const watcher = new Watcher(lab.url, client.cookieHeader);
      await watcher.connected();
      try {
        client.cookies.set('token', make());
        const res = await client.get('/api/jwt/me');
        await expectError(res, 401, message);
        const id = res.headers.get('x-request-id');
        await watcher.endOf(id);
        const verify = watcher.stepsOf(id).find((s) => s.name === 'jwt.verify');
        expect(verify?.detail).toMatchObject({ ok: false });
        if (reason !== 'unsigned') expect(verify?.detail?.reason).toBe(reason);
        else expect(['unsigned', 'wrong-algorithm', 'malformed']).toContain(verify?.detail?.reason);
      } finally {
        watcher.close();
      }
    });
  }

  it('accepts a correctly signed token with the right claims (the control)', async () => {
    client.cookies.set('token', hs256(claims(), lab.config.jwtSecret));
    expect((await client.get('/api/jwt/me')).status).toBe(200);
  });
});

describe('malformed cookies', () => {
  const headers = [
    'sid=j:{}',
    'sid=%E0%A4%A; token=%zz; lab=%',
    'sid=s%3Aabc.def; sid=s%3Aother.sig',
    'token=j:{"alg":"none"}',
    'token=; sid=',
    `token=${'a'.repeat(3000)}`,
  ];
  for (const cookie of headers) {
    it(`answers 401, not 500, to "${cookie.slice(0, 40)}"`, async () => {
      for (const flow of ['session', 'jwt']) {
        const res = await client.get(`/api/${flow}/me`, { cookie });
        await expectError(res, 401, /not logged in/);
      }
      expect((await client.get('/api/health')).status).toBe(200);
    });
  }

  it('answers 401 to a forged, unsigned or wrongly signed session ID without reaching the store', async () => {
    for (const sid of ['made-up-id', 's%3Amade-up-id.bad-signature']) {
      await expectError(await client.get('/api/session/me', { cookie: `sid=${sid}` }), 401, /not logged in/);
    }
  });
});

describe('bad bodies', () => {
  it('answers 415 to a form body', async () => {
    const res = await client.post('/api/jwt/login', 'username=alice&password=wonderland', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    await expectError(res, 415, /JSON/);
  });

  it('answers 400 to broken JSON', async () => {
    await expectError(await client.post('/api/session/login', '{"username":'), 400, /not valid JSON/);
  });

  it('answers 413 to a body over 8 KB', async () => {
    await expectError(await client.post('/api/jwt/login', { username: 'a'.repeat(9000), password: 'x' }), 413, /too large/);
  });

  it('answers 400 to the wrong types', async () => {
    // strict JSON: a bare string, number or null is refused by the parser itself
    for (const body of ['alice', 42, null]) {
      await expectError(await client.post('/api/session/login', JSON.stringify(body)), 400, /not valid JSON/);
    }
    for (const body of [[], { username: 'alice' }, { username: 1, password: 2 }, { username: 'alice', password: ['x'] }, { username: '', password: 'x' }]) {
      await expectError(await client.post('/api/session/login', JSON.stringify(body)), 400, /username and a password/);
    }
  });

  it('answers 400 to an unknown or invalid lab setting', async () => {
    await client.becomeViewer();
    await expectError(await client.put('/api/lab', { latencyMs: -1 }), 400, /latencyMs/);
    await expectError(await client.put('/api/lab', { latencyMs: 'slow' }), 400, /latencyMs/);
    await expectError(await client.put('/api/lab', { deserialize: 'cache' }), 400, /deserialize/);
    await expectError(await client.put('/api/lab', { __proto__x: 1 }), 400, /no lab setting/);
    await expectError(await client.put('/api/lab', [1]), 400, /JSON object/);
  });
});

describe('methods and routes', () => {
  it('answers 405 with Allow: POST to GET on login and logout', async () => {
    for (const path of ['/api/session/login', '/api/session/logout', '/api/jwt/login', '/api/jwt/logout']) {
      const res = await client.get(path);
      expect(res.headers.get('allow')).toBe('POST');
      await expectError(res, 405, /Use POST/);
    }
  });

  it('answers 404 in JSON to an unknown API route', async () => {
    await expectError(await client.get('/api/nope'), 404, /no API route/);
  });

  it('gives every API answer its own X-Request-Id, refusals included', async () => {
    const answers = [
      await client.get('/api/health'),
      await client.get('/api/lab'),
      await client.get('/api/nope'),
      await client.get('/api/jwt/login'), // 405
      await client.post('/api/jwt/login', undefined, { origin: 'https://evil.example' }), // 403
      await client.get('/api/jwt/me'), // 401, traced
    ];
    const ids = answers.map((res) => res.headers.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('answers 431 in JSON to headers over 16 KB, before Express sees the request', async () => {
    const res = await fetch(`${lab.url}/api/jwt/me`, { headers: { cookie: `junk=${'a'.repeat(20_000)}` } });
    await expectError(res, 431, /headers are larger than the server accepts/);
  });

  it('answers 400 in JSON to bytes that are not HTTP, and keeps serving', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(lab.url).port), '127.0.0.1', () => socket.write('HELLO \x00 THERE\r\n\r\n'));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(raw.split('\r\n\r\n')[1]).toBe(JSON.stringify({ error: 'The request is not valid HTTP.' }));
    expect((await client.get('/api/health')).status).toBe(200);
  });
});

describe('unsafe methods from another site (CSRF)', () => {
  it('refuses a cross-site Origin with 403', async () => {
    await client.login('session');
    const res = await client.post('/api/session/logout', undefined, { origin: 'http://evil.example' });
    await expectError(res, 403, /another site/);
    expect((await client.get('/api/session/me')).status).toBe(200);
  });

  it('refuses Sec-Fetch-Site: cross-site and same-site with 403', async () => {
    for (const site of ['cross-site', 'same-site']) {
      await expectError(await client.post('/api/jwt/logout', undefined, { 'sec-fetch-site': site }), 403, /another site/);
    }
  });

  it("accepts the lab's own origin", async () => {
    const res = await client.post('/api/jwt/logout', undefined, { origin: lab.origin, 'sec-fetch-site': 'same-origin' });
    expect(res.status).toBe(204);
  });
});

describe('login rate limits', () => {
  it('answers 401 alike for an unknown user and a wrong password', async () => {
    const unknown = await expectError(await client.login('jwt', 'nobody', 'wonderland'), 401, /do not match/);
    const wrong = await expectError(await client.login('jwt', 'bob', 'wrong'), 401, /do not match/);
    expect(unknown).toBe(wrong);
  });

  it('answers 429 with Retry-After after too many failed tries on one account', async () => {
    const limited = await startLab({}, { loginLimits: { perAccount: { limit: 3, windowMs: 60_000 }, perAddress: { limit: 100, windowMs: 60_000 } } });
    try {
      const c = new Client(limited.url);
      for (let i = 0; i < 3; i++) expect((await c.login('session', 'bob', 'nope')).status).toBe(401);
      const res = await c.login('jwt', 'BOB', 'builder');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      await expectError(res, 429, /Too many login tries/);
      expect((await c.login('jwt', 'alice', 'wonderland')).status).toBe(200); // other accounts unaffected
    } finally {
      await limited.stop();
    }
  });

  it('answers 429 after too many tries from one address', async () => {
    const limited = await startLab({}, { loginLimits: { perAccount: { limit: 100, windowMs: 60_000 }, perAddress: { limit: 4, windowMs: 60_000 } } });
    try {
      const c = new Client(limited.url);
      for (let i = 0; i < 4; i++) await c.login('jwt', `user${i}`, 'x');
      await expectError(await c.login('jwt', 'alice', 'wonderland'), 429, /Too many/);
    } finally {
      await limited.stop();
    }
  });
});

describe('logins the lab sends to itself', () => {
  it('leave the per-address limit to real clients: scenarios keep working, outsiders still get 429', async () => {
    const limited = await startLab({}, { loginLimits: { perAccount: { limit: 100, windowMs: 60_000 }, perAddress: { limit: 2, windowMs: 60_000 } } });
    try {
      const viewer = new Client(limited.url);
      await viewer.becomeViewer();
      // each run logs in on both flows from 127.0.0.1: three runs make more logins than the limit
      for (let i = 0; i < 3; i++) {
        const res = await viewer.post('/api/lab/scenarios/stolen-cookie-after-logout');
        const result = (await res.json()) as { flows: Record<string, { requests: { status: number }[] }> };
        expect(result.flows.session?.requests[0]?.status).toBe(200);
        expect(result.flows.jwt?.requests[0]?.status).toBe(200);
      }
      const outsider = new Client(limited.url);
      expect((await outsider.login('jwt')).status).toBe(200);
      expect((await outsider.login('jwt')).status).toBe(200);
      await expectError(await outsider.login('jwt'), 429, /Too many/);
      // a forged internal header is just another request
      await expectError(await outsider.post('/api/jwt/login', { username: 'alice', password: 'wonderland' }, { 'x-lab-internal': 'guess' }), 429, /Too many/);
    } finally {
      await limited.stop();
    }
  });
});
