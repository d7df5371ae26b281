// Scaling out on Redis: a real redis-server on a free port and `WORKERS=2 STORE=redis` as a child
// process. Sessions hold on every worker, traces cross workers through the Redis adapter, and an
// outage fails the session flow closed (503) while JWT carries on, then heals by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, sleep, Watcher } from './helpers.js';
import { expectRevocationAcrossWorkers, requestOn, startCluster, workerOf, type TestCluster } from './cluster-lab.js';
import { closeRedis, connectRedis } from '../server/redis.js';
import { redisAvailable, startRedis, type TestRedis } from './redis.js';

async function redisKeys(url: string): Promise<string[]> {
  const client = await connectRedis(url, { name: 'test' });
  try {
    return await client.keys('lab:*');
  } finally {
    await closeRedis(client);
  }
}

/** Sends the request until `done` accepts the answer (or 15 s pass): for states that settle by themselves. */
async function until(send: () => Promise<Response>, done: (res: Response) => boolean): Promise<Response> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await send();
    if (done(res) || Date.now() > deadline) return res;
    await sleep(100);
  }
}

describe.skipIf(!redisAvailable())('WORKERS=2, STORE=redis', () => {
  let redis: TestRedis;
  let lab: TestCluster;
  beforeAll(async () => {
    redis = await startRedis({ durable: true });
    lab = await startCluster({ STORE: 'redis', REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await lab?.stop();
    await redis?.stop();
  });

  it('GET /api/session/me answers 200 on both workers, and a logout on one ends the session on the other', async () => {
    const client = new Client(lab.url);
    const login = await client.login('session');
    expect(login.status).toBe(200);
    const cookie = client.cookieHeader;
    const other = await requestOn(client, { notWorker: workerOf(login) }, (c) => c.get('/api/session/me'));
    expect(other.status).toBe(200);
    expect((await other.json()).user.username).toBe('alice');

    const logout = await client.post('/api/session/logout', undefined, { cookie });
    expect(logout.status).toBe(204);
    const replayed = await requestOn(client, { notWorker: workerOf(logout) }, (c) => c.get('/api/session/me', { cookie }));
    expect(replayed.status).toBe(401);
  });

  it('revokes a JWT and a refresh-token family for every worker (denylist and refresh tokens in Redis)', async () => {
    await expectRevocationAcrossWorkers(lab.url);
    const keys = await redisKeys(redis.url);
    expect(keys.some((k) => k.startsWith('lab:jwt:revoked:'))).toBe(true);
    expect(keys.some((k) => k.startsWith('lab:refresh:'))).toBe(false); // the reuse revoked the family: nothing left
  });

  it('sends each trace to its viewer through Redis, whichever worker answered', async () => {
    const client = new Client(lab.url);
    await client.becomeViewer();
    const watcher = new Watcher(lab.url, client.cookieHeader);
    await watcher.connected();
    try {
      await client.login('session');
      const ids: (string | null)[] = [];
      for (let i = 0; i < 4; i++) ids.push((await client.get('/api/session/me')).headers.get('x-request-id'));
      const ends = await Promise.all(ids.map((id) => watcher.endOf(id)));
      expect(new Set(ends.map((e) => e.worker))).toEqual(new Set([1, 2]));
      expect(ends.every((e) => e.status === 200 && e.lookups.sessionStore.reads === 1)).toBe(true);
    } finally {
      watcher.close();
    }
  });

  it('during a Redis outage the session flow (and JWT with the denylist on) answers 503 while plain JWT keeps working; afterwards the same session works again', async () => {
    const sessions = new Client(lab.url);
    expect((await sessions.login('session')).status).toBe(200);
    const jwt = new Client(lab.url);
    expect((await jwt.login('jwt')).status).toBe(200);
    const revoking = new Client(lab.url); // a viewer with the denylist on: its JWT requests read Redis too
    await revoking.becomeViewer();
    expect((await revoking.put('/api/lab', { denylist: true })).status).toBe(200);
    expect((await revoking.login('jwt')).status).toBe(200);

    await redis.crash();
    // The workers notice the closed connection within a moment; requests meanwhile fail closed too.
    const down = await until(
      () => sessions.get('/api/session/me'),
      (res) => res.status === 503,
    );
    expect(down.status).toBe(503);
    expect((await down.json()).error).toBe(
      'The session store is unavailable right now, so nobody can be authenticated through it; try again shortly.',
    );
    for (let i = 0; i < 4; i++) expect((await sessions.get('/api/session/me')).status).toBe(503); // both workers
    const login = await new Client(lab.url).login('session');
    expect(login.status).toBe(503);
    const seen = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const res = await jwt.get('/api/jwt/me');
      expect(res.status).toBe(200);
      seen.add(workerOf(res));
    }
    expect(seen).toEqual(new Set([1, 2]));
    const unchecked = await revoking.get('/api/jwt/me');
    expect(unchecked.status).toBe(503); // a revocation check that cannot be made lets nobody in
    expect((await unchecked.json()).error).toMatch(/token denylist is unavailable/);

    await redis.restart(); // same port, same append-only file: Redis comes back with its data
    const up = await until(
      () => sessions.get('/api/session/me'),
      (res) => res.status === 200,
    );
    expect(up.status).toBe(200);
    // Each worker reconnects on its own backoff (up to 2 s): the other one comes back by itself too.
    const other = await until(
      () => requestOn(sessions, { notWorker: workerOf(up) }, (c) => c.get('/api/session/me')),
      (res) => res.status === 200,
    );
    expect(other.status).toBe(200);
    expect((await other.json()).user.username).toBe('alice');
  });

  it('when Redis hangs (connected but silent) the session flow answers 503 after a timeout, then recovers', async () => {
    const client = new Client(lab.url);
    expect((await client.login('session')).status).toBe(200);
    redis.pause();
    try {
      const hung = await client.get('/api/session/me');
      expect(hung.status).toBe(503);
      expect((await client.get('/api/health')).status).toBe(200); // the worker itself is not stuck
    } finally {
      redis.resume();
    }
    const back = await until(
      () => client.get('/api/session/me'),
      (res) => res.status === 200,
    );
    expect(back.status).toBe(200);
  });

  it('crashed neither the workers nor the primary and logged no unhandled rejection', () => {
    expect(lab.alive()).toBe(true);
    expect(lab.output()).not.toMatch(/Unhandled rejection|Worker \d+ stopped|TypeError/);
    expect(lab.output()).toMatch(/Redis \(sessions\) .* is unreachable/); // said once, not once per retry
    expect(lab.output()).toMatch(/Redis \(sessions\) is back/);
  });
});
