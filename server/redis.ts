// Redis connections (STORE=redis): one client for the session store, and a publisher and a
// subscriber for socket.io's Redis adapter. An outage must never take the lab down: every client
// has an 'error' listener, reconnects by itself with capped backoff, and says so in one log line
// when it goes down and one when it comes back, not one line per retry.
import { createClient, type RedisClientType } from 'redis';

export type LabRedisClient = RedisClientType;

export interface RedisClientOptions {
  /** Shown in the log lines: which client went down. */
  name: string;
  /**
   * Fail fast (the session store): while disconnected, commands are refused at once instead of
   * waiting for the reconnect, and a command Redis does not answer within `commandTimeoutMs`
   * (a hung server, not a dead one) is given up. The request then fails closed with 503.
   */
  failFast?: { commandTimeoutMs: number };
}

const MAX_BACKOFF_MS = 2000;

/** Wait before reconnect attempt `retries`: 50 ms doubling up to 2 s, with jitter so workers do not retry in step. */
export function reconnectDelay(retries: number): number {
  const capped = Math.min(50 * 2 ** Math.min(retries, 10), MAX_BACKOFF_MS);
  return Math.round(capped / 2 + Math.random() * (capped / 2));
}

/**
 * Creates a client and starts connecting; resolves once it is ready or after `waitMs`, whichever
 * comes first. A Redis that is down at start-up is not fatal: the client keeps trying and the
 * routes that need it answer 503 meanwhile.
 */
export async function connectRedis(url: string, options: RedisClientOptions, waitMs = 2000): Promise<LabRedisClient> {
  const client: LabRedisClient = createClient({
    url,
    socket: { reconnectStrategy: reconnectDelay, connectTimeout: 2000 },
    disableOfflineQueue: Boolean(options.failFast),
    ...(options.failFast ? { commandOptions: { timeout: options.failFast.commandTimeoutMs, rejectInFlight: true } } : {}),
  });
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    console.warn(`Redis (${options.name}) at ${redactUrl(url)} is unreachable: ${err.message || err.name}; retrying in the background.`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    console.warn(`Redis (${options.name}) is back.`);
  });

  // connect() rejects only if the first attempt fails and reconnecting is off; ours never is off,
  // so this settles once connected. Waiting for it forever would block start-up during an outage.
  const connecting = client.connect().then(
    () => undefined,
    (err: unknown) => console.warn(`Redis (${options.name}) did not connect: ${(err as Error).message}`),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([connecting, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
  clearTimeout(timer);
  return client;
}

/** Closes a client whether or not it is connected, without throwing. */
export async function closeRedis(client: LabRedisClient): Promise<void> {
  try {
    if (client.isOpen) client.destroy();
  } catch {
    // already closed: nothing to release
  }
}

/** A Redis URL without its password, for log lines. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured REDIS_URL';
  }
}
