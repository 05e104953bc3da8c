// ioredis set up to fail fast: with no offline queue a command issued while Redis is down
// fails at once (the API answers 503 instead of hanging) and the client keeps reconnecting
// in the background, so everything resumes by itself when Redis returns.
import { Cluster, Redis, type RedisOptions as IORedisOptions } from 'ioredis';
import type { Logger } from '../log/logger.js';
import { describeTarget, type RedisTarget } from './target.js';

/** One node or a Sentinel-managed primary (both a Redis), or a Cluster. */
export type RedisConnection = Redis | Cluster;

export interface RedisOptions {
  /** Where to connect; `url` is short for a single node. */
  target?: RedisTarget;
  url?: string;
  /** Longest a single command may take before it fails (ms). */
  commandTimeoutMs?: number;
  /** Commands sent but unanswered when the connection dropped are failed, never sent again after
   * the reconnect (which may be to another server): for the write connection. */
  noResend?: boolean;
  name?: string;
  log?: Logger;
}

const lastErrors = new WeakMap<RedisConnection, Error>();

/** The last connection error this client saw (for telling a wrong password from an outage). */
export function lastRedisError(redis: RedisConnection): Error | undefined {
  return lastErrors.get(redis);
}

/** Redis refused our credentials: retrying will never help. */
export function isRedisAuthError(err: unknown): boolean {
  return err instanceof Error && /^(WRONGPASS|NOAUTH)\b|invalid password|ERR AUTH/i.test(err.message);
}

/** host:port/db of a Redis URL, without its password: safe to print. */
export function describeRedis(url: string): string {
  return describeTarget({ mode: 'single', url });
}

function connection(target: RedisTarget, common: IORedisOptions): RedisConnection {
  // A private CA (REDIS_TLS_CA) is trusted next to the public ones.
  const tls = target.ca ? { ca: target.ca } : {};
  if (target.mode === 'single') return new Redis(target.url, { ...common, ...(target.ca && target.url.startsWith('rediss:') ? { tls } : {}) });
  const auth = {
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls } : {}),
  };
  if (target.mode === 'sentinel') {
    // Always the primary; failoverDetector reconnects as soon as the sentinels announce a new one.
    return new Redis({
      ...common,
      ...auth,
      sentinels: target.sentinels,
      name: target.name,
      role: 'master',
      db: target.db,
      failoverDetector: true,
      ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
      ...(target.tls ? { enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
      sentinelRetryStrategy: (times: number) => Math.min(100 * times, 1000),
    });
  }
  // Reads and writes on masters only: money state is never read from a lagging replica.
  return new Cluster(target.nodes, {
    lazyConnect: true,
    enableOfflineQueue: false,
    scaleReads: 'master',
    clusterRetryStrategy: (times: number) => Math.min(100 * times, 1000),
    slotsRefreshTimeout: 2000,
    redisOptions: { ...common, ...auth },
  });
}

/**
 * ioredis (5.x) gives a Sentinel-managed connection up for good when the failover detector of its
 * previous connection hears +switch-master while it is reconnecting: the connect in progress
 * fails "Connection is closed." and the client ends, never to retry (seen under repeated
 * failovers). Such a connection is started again; one we close ourselves stays closed.
 */
function reviveAbandoned(redis: Redis): void {
  let closing = false;
  let abandoned = false;
  const disconnect = redis.disconnect.bind(redis);
  const quit = redis.quit.bind(redis);
  redis.disconnect = (reconnect = false) => {
    if (!reconnect) closing = true;
    disconnect(reconnect);
  };
  redis.quit = ((...args: Parameters<Redis['quit']>) => {
    closing = true;
    return quit(...args);
  }) as Redis['quit'];
  redis.on('error', (err: Error) => {
    if (err.message === 'Connection is closed.') abandoned = true;
  });
  redis.on('end', () => {
    if (closing || !abandoned) return;
    abandoned = false;
    setTimeout(() => {
      if (!closing && redis.status === 'end') redis.connect().catch(() => undefined);
    }, 100).unref();
  });
}

/** A single node by URL (tools and tests) is a plain Redis. */
export function createRedis(opts: RedisOptions & { target?: undefined }): Redis;
export function createRedis(opts: RedisOptions): RedisConnection;
export function createRedis(opts: RedisOptions): RedisConnection {
  const target = opts.target ?? { mode: 'single', url: opts.url ?? 'redis://127.0.0.1:6379' };
  const redis = connection(target, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    commandTimeout: opts.commandTimeoutMs ?? 1000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
    // A primary demoted under us (a failover) answers READONLY: reconnect, which in Sentinel mode
    // asks the sentinels for the current primary. The command itself fails (503), nothing resent.
    reconnectOnError: (err) => /^READONLY\b/.test(err.message),
    connectionName: opts.name ?? 'paycue',
    ...(opts.noResend ? { autoResendUnfulfilledCommands: false } : {}),
  });
  if (target.mode === 'sentinel') reviveAbandoned(redis as Redis);
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

const epochs = new WeakMap<RedisConnection, { n: number }>();

/** Changes whenever the connection closes: a reply that comes after a change came over another
 * connection — after a failover, perhaps from another server. (A Cluster is followed by its
 * redirects instead.) */
export function connectionEpoch(redis: RedisConnection): number {
  let e = epochs.get(redis);
  if (!e) {
    const counter = { n: 0 };
    redis.on('close', () => counter.n++);
    epochs.set(redis, counter);
    e = counter;
  }
  return e.n;
}

/** Starts connecting; resolves when connected or after `waitMs` (the client keeps retrying). */
export async function connectRedis(redis: RedisConnection, waitMs = 1000): Promise<boolean> {
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
    // Cluster: no node answers, or the slot map cannot be refreshed (a failover in progress).
    m.includes('None of startup nodes is available') ||
    m.includes('Failed to refresh slots cache') ||
    m.includes("Cluster isn't ready") ||
    // Slots moving during a failover faster than the client can follow: try again shortly.
    m.includes('Too many Cluster redirections') ||
    err.name === 'ClusterAllFailedError' ||
    m.includes('connect ETIMEDOUT') ||
    err.name === 'MaxRetriesPerRequestError'
  );
}
