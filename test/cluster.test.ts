// Scaling out without Redis: `WORKERS=2 tsx server/index.ts` as a real child process. STORE=memory
// shows why sessions need a shared store; STORE=sqlite shares one WAL file; JWT works either way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import type { ScenarioResult } from '../server/protocol.js';
import { Client, startLab, Watcher } from './helpers.js';
import { expectRevocationAcrossWorkers, requestOn, startCluster, workerOf, type TestCluster } from './cluster-lab.js';

describe('WORKERS=2, STORE=memory (each worker has its own sessions)', () => {
  let lab: TestCluster;
  beforeAll(async () => {
    lab = await startCluster({ STORE: 'memory' });
  });
  afterAll(() => lab?.stop());

  it('deals requests to both workers and names the worker in X-Worker', async () => {
    const client = new Client(lab.url);
    const seen = new Set<number>();
    for (let i = 0; i < 6; i++) seen.add(workerOf(await client.get('/api/health')));
    expect([...seen].sort()).toEqual([1, 2]);
  });

  it('GET /api/session/me on another worker answers 401: the session lives in the first worker’s memory', async () => {
    const client = new Client(lab.url);
    const login = await client.login('session');
    expect(login.status).toBe(200);
    const home = workerOf(login);

    const elsewhere = await requestOn(client, { notWorker: home }, (c) => c.get('/api/session/me'));
    expect(elsewhere.status).toBe(401);
    expect((await elsewhere.json()).error).toMatch(/not logged in on the session flow/);

    const back = await requestOn(client, { worker: home }, (c) => c.get('/api/session/me'));
    expect(back.status).toBe(200);
    expect((await back.json()).user.username).toBe('alice');
  });

  it('POST /api/lab/scenarios/several-workers shows the session lane losing its session and the JWT lane not', async () => {
    const client = new Client(lab.url);
    await client.becomeViewer();
    const res = await client.post('/api/lab/scenarios/several-workers');
    expect(res.status).toBe(200);
    const result = (await res.json()) as ScenarioResult;
    expect(result.flows.session.verdict).toBe('exposed');
    expect(result.flows.session.requests.slice(1).map((r) => r.status)).toContain(401);
    expect(result.flows.jwt.verdict).toBe('protected');
    expect(result.flows.jwt.requests.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('GET /api/jwt/me answers 200 on every worker: the token carries the user', async () => {
    const client = new Client(lab.url);
    const login = await client.login('jwt');
    expect(login.status).toBe(200);
    const other = await requestOn(client, { notWorker: workerOf(login) }, (c) => c.get('/api/jwt/me'));
    expect(other.status).toBe(200);
    expect((await other.json()).user.username).toBe('alice');
  });

  it('sends each trace to its viewer whichever worker answered, with the worker in trace:end', async () => {
    const client = new Client(lab.url);
    await client.becomeViewer();
    const watcher = new Watcher(lab.url, client.cookieHeader);
    await watcher.connected();
    try {
      const ids: (string | null)[] = [];
      for (let i = 0; i < 4; i++) ids.push((await client.get('/api/jwt/me')).headers.get('x-request-id'));
      const ends = await Promise.all(ids.map((id) => watcher.endOf(id)));
      expect(new Set(ends.map((e) => e.worker))).toEqual(new Set([1, 2]));
    } finally {
      watcher.close();
    }
  });

  it('keeps a long-polling socket on the worker that opened it (sticky handshakes)', async () => {
    const client = new Client(lab.url);
    await client.becomeViewer();
    // Twenty handshakes at once: a client that polls again before the primary knows which worker
    // owns its session is dealt to the other worker, which answers 400 "Session ID unknown".
    const sockets = Array.from({ length: 20 }, () =>
      connect(lab.url, {
        transports: ['polling'],
        extraHeaders: { cookie: client.cookieHeader, origin: lab.url },
        reconnection: false,
        forceNew: true,
      }),
    );
    try {
      const requestIds = new Set<string>();
      sockets[0]!.on('trace:end', (end) => requestIds.add(end.requestId));
      await Promise.all(
        sockets.map(
          (socket) =>
            new Promise<void>((resolve, reject) => {
              socket.once('connect', resolve);
              socket.once('connect_error', reject);
            }),
        ),
      );
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await client.get('/api/jwt/me')).headers.get('x-request-id') ?? '');
      for (let waited = 0; ids.some((id) => !requestIds.has(id)) && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      expect(ids.filter((id) => requestIds.has(id))).toEqual(ids);
      expect(sockets.filter((socket) => !socket.connected)).toHaveLength(0); // a poll on the other worker would have closed it
    } finally {
      for (const socket of sockets) socket.close();
    }
  });

  it('counts failed logins on every worker: the sixth try is 429 whichever worker takes it', async () => {
    const client = new Client(lab.url);
    const workers = new Set<number>();
    for (let i = 0; i < 5; i++) {
      const res = await client.login(i % 2 ? 'session' : 'jwt', 'mallory', `guess-${i}`);
      expect(res.status).toBe(401);
      workers.add(workerOf(res));
    }
    expect([...workers].sort()).toEqual([1, 2]); // the five tries were split between the workers
    for (let i = 0; i < 2; i++) {
      const res = await client.login('session', 'mallory', 'one-more-guess');
      expect(res.status).toBe(429);
      expect((await res.json()).error).toMatch(/Too many login tries/);
    }
  });

  it('serves the attacker page once for the cluster, and every worker knows where', async () => {
    const client = new Client(lab.url);
    const origins = new Map<number, string | null>();
    for (let i = 0; i < 6; i++) {
      const res = await client.get('/api/lab/scenarios');
      origins.set(workerOf(res), ((await res.json()) as { attackerOrigin: string | null }).attackerOrigin);
    }
    expect([...origins.keys()].sort()).toEqual([1, 2]);
    const [first, second] = [...origins.values()];
    expect(first).toMatch(/^http:\/\/localhost:\d+$/); // the lab is 127.0.0.1: another site
    expect(second).toBe(first);
    const page = await fetch(`${first}/csrf?flow=session&action=logout`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`${lab.url}/api/session/logout`);
  });

  it('PUT /api/lab on one worker applies to this viewer’s next request on the other', async () => {
    const client = new Client(lab.url);
    await client.becomeViewer();
    const put = await client.put('/api/lab', { latencyMs: 7 });
    expect(put.status).toBe(200);
    const other = await requestOn(client, { notWorker: workerOf(put) }, (c) => c.get('/api/lab'));
    expect((await other.json()).settings.latencyMs).toBe(7);
  });

  it('logs no unhandled rejection and keeps running', () => {
    expect(lab.alive()).toBe(true);
    expect(lab.output()).not.toMatch(/Unhandled rejection|TypeError|ReferenceError/);
  });
});

describe('WORKERS=2, STORE=sqlite (one WAL file shared by the workers)', () => {
  let lab: TestCluster;
  beforeAll(async () => {
    lab = await startCluster({ STORE: 'sqlite' });
  });
  afterAll(() => lab?.stop());

  it('GET /api/session/me answers 200 on the other worker, and a logout there ends the session everywhere', async () => {
    const client = new Client(lab.url);
    const login = await client.login('session');
    expect(login.status).toBe(200);
    const home = workerOf(login);
    const cookie = client.cookieHeader;

    const other = await requestOn(client, { notWorker: home }, (c) => c.get('/api/session/me'));
    expect(other.status).toBe(200);

    const logout = await client.post('/api/session/logout', undefined, { cookie });
    expect(logout.status).toBe(204);
    const replayed = await requestOn(client, { notWorker: workerOf(logout) }, (c) => c.get('/api/session/me', { cookie }));
    expect(replayed.status).toBe(401);
  });

  it('revokes a JWT and a refresh-token family for every worker (denylist and refresh tokens in the shared file)', async () => {
    await expectRevocationAcrossWorkers(lab.url);
  });

  it('POST /api/lab/scenarios/several-workers finds the session on every worker', async () => {
    const client = new Client(lab.url);
    await client.becomeViewer();
    const result = (await (await client.post('/api/lab/scenarios/several-workers')).json()) as ScenarioResult;
    expect(result.flows.session.verdict).toBe('protected');
    expect(result.flows.session.requests.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('leaves the scenarios’ own logins out of the per-address limit on every worker (one internal token for the cluster)', async () => {
    const client = new Client(lab.url);
    await client.becomeViewer();
    // 40 runs × 2 logins from 127.0.0.1, about half of them dealt to a worker other than the one
    // running the scenario: well over the 30 tries a minute an address gets, if they counted
    for (let run = 0; run < 40; run++) {
      const res = await client.post('/api/lab/scenarios/stolen-cookie-after-logout');
      expect(res.status).toBe(200);
      const result = (await res.json()) as ScenarioResult;
      expect(result.flows.session.requests.map((r) => r.status)).toEqual([200, 204, 401]);
      expect(result.flows.jwt.requests.map((r) => r.status)).toEqual([200, 204, 200]);
    }
  });

  it('POST /api/<flow>/replay on another worker finds the cookie captured at logout', async () => {
    const client = new Client(lab.url);
    await client.becomeViewer();
    for (const [flow, expected] of [['jwt', 200], ['session', 401]] as const) {
      expect((await client.login(flow)).status).toBe(200);
      const logout = await client.post(`/api/${flow}/logout`);
      expect(logout.status).toBe(204);
      const replay = await requestOn(client, { notWorker: workerOf(logout) }, (c) => c.post(`/api/${flow}/replay`));
      expect(replay.status).toBe(expected); // the JWT copy still works after logout; the session is gone
    }
  });
});

describe('a single process', () => {
  it('answers the socket.io polling POST once (Express must not answer socket.io paths too), and has no workers to split', async () => {
    const lab = await startLab({ STORE: 'memory' });
    const client = new Client(lab.url);
    await client.becomeViewer();
    const socket = connect(lab.url, {
      transports: ['polling'],
      extraHeaders: { cookie: client.cookieHeader, origin: lab.url },
      reconnection: false,
      forceNew: true,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      expect((await client.get('/api/health')).status).toBe(200);
      const scenario = (await (await client.post('/api/lab/scenarios/several-workers')).json()) as ScenarioResult;
      expect(scenario.flows.session.verdict).toBe('not-applicable'); // one process: nothing to split
    } finally {
      socket.close();
      await lab.stop();
    }
  });
});
