// Environment variables → a typed, validated config, read once at start-up.
// A bad value throws a ConfigError whose message names the variable; server/index.ts prints it and exits.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';

export type StoreKind = 'sqlite' | 'memory' | 'redis';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  sessionSecret: string;
  jwtSecret: string;
  store: StoreKind;
  redisUrl: string;
  storeLatencyMs: number;
  workers: number;
  /** The attacker page's port for the CSRF and XSS scenarios (docs/attacks.md); 0: any free port. */
  attackerPort: number;
  /** TRACE=off: no traces at all (no Trace objects, no AsyncLocalStorage, no Server-Timing), for the benchmark's comparison. */
  tracing: boolean;
  /** Where browsers reach the lab, when behind a proxy; https:// makes cookies Secure and __Host-. */
  publicUrl: string | null;
  secureCookies: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const MIN_SECRET_BYTES = 32;

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const dataDir = resolve(env.DATA_DIR || './data');
  const secrets = loadSecrets(dataDir, env);
  const publicUrl = env.PUBLIC_URL?.trim();
  if (publicUrl && !/^https?:\/\/[^/\s]+\/?$/.test(publicUrl)) {
    throw new ConfigError(`PUBLIC_URL must look like https://lab.example.org (got "${publicUrl}").`);
  }
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    dataDir,
    ...secrets,
    store: oneOf(env, 'STORE', ['sqlite', 'memory', 'redis'] as const, 'sqlite'),
    redisUrl: redisUrl(env),
    storeLatencyMs: integer(env, 'STORE_LATENCY_MS', 0, 0, 5000),
    workers: integer(env, 'WORKERS', 1, 1, 16),
    attackerPort: integer(env, 'ATTACKER_PORT', 0, 0, 65535),
    tracing: oneOf(env, 'TRACE', ['on', 'off'] as const, 'on') === 'on',
    publicUrl: publicUrl || null,
    secureCookies: publicUrl?.startsWith('https://') ?? false,
  };
}

/**
 * SESSION_SECRET and JWT_SECRET: taken from the environment when set (at least 32 bytes), otherwise
 * generated once with a CSPRNG and kept in DATA_DIR/secrets.json, so sessions and tokens outlive a restart.
 */
export function loadSecrets(dataDir: string, env: Env = process.env): { sessionSecret: string; jwtSecret: string } {
  const file = join(dataDir, 'secrets.json');
  let stored: Partial<Record<'sessionSecret' | 'jwtSecret', string>> = {};
  if (existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
    } catch {
      throw new ConfigError(`${file} is not valid JSON: fix or delete it (deleting logs everyone out).`);
    }
  }
  const pick = (name: 'SESSION_SECRET' | 'JWT_SECRET', key: 'sessionSecret' | 'jwtSecret'): string => {
    const given = env[name];
    if (given !== undefined && given !== '') {
      if (Buffer.byteLength(given, 'utf8') < MIN_SECRET_BYTES) {
        throw new ConfigError(`${name} must be at least ${MIN_SECRET_BYTES} bytes long; leave it unset to generate one.`);
      }
      return given;
    }
    const kept = stored[key];
    if (typeof kept === 'string' && Buffer.byteLength(kept, 'utf8') >= MIN_SECRET_BYTES) return kept;
    stored[key] = randomBytes(MIN_SECRET_BYTES).toString('base64url');
    return stored[key];
  };
  const sessionSecret = pick('SESSION_SECRET', 'sessionSecret');
  const jwtSecret = pick('JWT_SECRET', 'jwtSecret');
  mkdirSync(dataDir, { recursive: true });
  const next = JSON.stringify(stored, null, 2) + '\n';
  if (!existsSync(file) || readFileSync(file, 'utf8') !== next) writeFileSync(file, next, { mode: 0o600 });
  return { sessionSecret, jwtSecret };
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}").`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${raw}").`);
  }
  return raw as T;
}

function redisUrl(env: Env): string {
  const raw = env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\//.test(raw)) throw new ConfigError(`REDIS_URL must start with redis:// or rediss:// (got "${raw}").`);
  return raw;
}
