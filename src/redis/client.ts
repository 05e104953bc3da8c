// ioredis set up to fail fast: with no offline queue a command issued while Redis is down
// fails at once (the API answers 503 instead of hanging) and the client keeps reconnecting
// in the background, so everything resumes by itself when Redis returns.
import { Redis } from 'ioredis';
import type { Logger } from '../log/logger.js';

export interface RedisOptions {
  url: string;
  /** Longest a single command may take before it fails (ms). */
  commandTimeoutMs?: number;
  name?: string;
  log?: Logger;
}

const lastErrors = new WeakMap<Redis, Error>();

/** The last connection error this client saw (for telling a wrong password from an outage). */
export function lastRedisError(redis: Redis): Error | undefined {
  return lastErrors.get(redis);
}

/** Redis refused our credentials: retrying will never help. */
export function isRedisAuthError(err: unknown): boolean {
  return err instanceof Error && /^(WRONGPASS|NOAUTH)\b|invalid password|ERR AUTH/i.test(err.message);
}

/** host:port/db of a Redis URL, without its password: safe to print. */
export function describeRedis(url: string): string {
  try {
    const u = new URL(url);
    const db = u.pathname.length > 1 ? u.pathname : '';
    return `${u.protocol === 'rediss:' ? 'rediss://' : ''}${u.hostname}:${u.port || '6379'}${db}`;
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

export function createRedis(opts: RedisOptions): Redis {
  const redis = new Redis(opts.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    commandTimeout: opts.commandTimeoutMs ?? 1000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
    connectionName: opts.name ?? 'paycue',
  });
  let down = false;
  redis.on('error', (err: Error) => {
    lastErrors.set(redis, err);
    if (!down) opts.log?.warn({ err, connection: opts.name }, 'redis unavailable; retrying');
    down = true;
  });
  redis.on('ready', () => {
    lastErrors.delete(redis);
    if (down) opts.log?.info({ connection: opts.name }, 'redis reachable again');
    down = false;
  });
  return redis;
}

/** Starts connecting; resolves when connected or after `waitMs` (the client keeps retrying). */
export async function connectRedis(redis: Redis, waitMs = 1000): Promise<boolean> {
  if (redis.status === 'ready') return true;
  const ready = new Promise<boolean>((resolve) => {
    // Called once a second by waiting loops during an outage: the listener must not outlive the wait.
    const onReady = () => {
      clearTimeout(t);
      resolve(true);
    };
    const t = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, waitMs);
    redis.once('ready', onReady);
  });
  if (redis.status === 'wait') redis.connect().catch(() => undefined);
  return ready;
}

/** Redis answers but will not write now: maxmemory with noeviction (OOM), a replica or a
 * demoted primary (READONLY), a failed RDB save (MISCONF), too few replicas, a busy script.
 * Nothing was written; the request can be retried later. */
export function isRedisRefusingWrites(err: unknown): boolean {
  return err instanceof Error && /^(?:OOM|READONLY|MISCONF|NOREPLICAS|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN)\b/.test(err.message);
}

export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const m = err.message;
  return (
    m.includes("Stream isn't writeable") ||
    m.includes('Command timed out') ||
    m.includes('Connection is closed') ||
    m.includes('ECONNREFUSED') ||
    m.includes('ECONNRESET') ||
    m.includes('MaxRetriesPerRequestError') ||
    m.includes('Reached the max retries') ||
    m.includes('LOADING') ||
    m.includes('connect ETIMEDOUT') ||
    err.name === 'MaxRetriesPerRequestError'
  );
}
