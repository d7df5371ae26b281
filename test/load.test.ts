// POST /api/lab/load: the dashboard's "Run 1,000 requests" button, fired from the server side over
// loopback with the viewer's cookies, reported to that viewer's socket only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadProgress } from '../server/protocol.js';
import { Client, startLab, Watcher, type TestLab } from './helpers.js';

let lab: TestLab;

beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.stop();
});

/** A viewer with its socket, collecting load:progress events. */
async function viewer() {
  const client = new Client(lab.url);
  await client.becomeViewer();
  const watcher = new Watcher(lab.url, client.cookieHeader);
  const progress: LoadProgress[] = [];
  watcher.socket.on('load:progress', (p) => progress.push(p));
  await watcher.connected();
  const finished = async (timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!progress.some((p) => p.finished)) {
      if (Date.now() > deadline) throw new Error('the load run never finished');
      await new Promise((r) => setTimeout(r, 20));
    }
    return progress.find((p) => p.finished)!;
  };
  return { client, watcher, progress, finished };
}

describe('POST /api/lab/load', () => {
  it('runs the session flow from the server with the viewer’s own cookies: 2 lookups a request, all 200', async () => {
    const { client, watcher, progress, finished } = await viewer();
    try {
      await client.login('session', 'bob', 'builder');
      const res = await client.post('/api/lab/load', { flow: 'session', count: 200 });
      expect(res.status).toBe(202);
      const { run } = await res.json();
      expect(run).toMatchObject({ flow: 'session', total: 200 });
      const last = await finished();
      expect(last).toMatchObject({ runId: run.runId, flow: 'session', total: 200, done: 200, failed: 0, user: 'bob' });
      expect(last.statuses).toEqual({ '200': 200 });
      expect(last.lookupsPerRequest).toBe(2); // the store read and the touch, counted from the traces
      expect(last.requestsPerSecond).toBeGreaterThan(0);
      // progress is throttled by the broadcaster, not one event per request
      expect(progress.length).toBeLessThan(200);
      expect(progress.map((p) => p.done)).toEqual([...progress.map((p) => p.done)].sort((a, b) => a - b));
    } finally {
      watcher.close();
    }
  });

  it('logs in as the demo user when the browser is not logged in, and the JWT flow reads no store', async () => {
    const { client, watcher, finished } = await viewer();
    try {
      const res = await client.post('/api/lab/load', { flow: 'jwt', count: 50 });
      expect(res.status).toBe(202);
      const last = await finished();
      expect(last).toMatchObject({ done: 50, failed: 0, user: 'alice', lookupsPerRequest: 0 });
      // the run's login is the server's own: the browser is still logged out
      expect((await client.get('/api/jwt/me')).status).toBe(401);
    } finally {
      watcher.close();
    }
  });

  it('sends the progress to the viewer who started the run and to no one else', async () => {
    const mine = await viewer();
    const other = await viewer();
    try {
      expect((await mine.client.post('/api/lab/load', { flow: 'jwt', count: 20 })).status).toBe(202);
      await mine.finished();
      await new Promise((r) => setTimeout(r, 300));
      expect(other.progress).toEqual([]);
      expect(other.watcher.ends).toEqual([]);
    } finally {
      mine.watcher.close();
      other.watcher.close();
    }
  });

  it('answers 409 while the same viewer already has a run going', async () => {
    const { client, watcher, finished } = await viewer();
    try {
      expect((await client.post('/api/lab/load', { flow: 'jwt', count: 1000 })).status).toBe(202);
      const again = await client.post('/api/lab/load', { flow: 'session', count: 10 });
      expect(again.status).toBe(409);
      expect((await again.json()).error).toMatch(/still going/);
      await finished(60_000);
      expect((await client.post('/api/lab/load', { flow: 'jwt', count: 1 })).status).toBe(202);
    } finally {
      watcher.close();
    }
  });

  it.each([
    [{ flow: 'jwt', count: 1001 }, /count must be a whole number from 1 to 1000/],
    [{ flow: 'jwt', count: 0 }, /count must be/],
    [{ flow: 'jwt', count: 2.5 }, /count must be/],
    [{ flow: 'jwt', count: '10' }, /count must be/],
    [{ flow: 'oauth', count: 10 }, /flow must be "session" or "jwt"/],
    [{ flow: 'jwt', count: 10, url: 'http://example.org' }, /only flow and count/],
    [[1, 2], /JSON object/],
  ])('answers 400 with a sentence for %j', async (body, message) => {
    const client = new Client(lab.url);
    await client.becomeViewer();
    const res = await client.post('/api/lab/load', body);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(message);
  });

  it('answers 400 without a lab cookie: no dashboard would see the run', async () => {
    const res = await new Client(lab.url).post('/api/lab/load', { flow: 'jwt', count: 10 });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/lab cookie/);
  });

  it('answers 405 to GET', async () => {
    const client = new Client(lab.url);
    await client.becomeViewer();
    const res = await client.get('/api/lab/load');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});
