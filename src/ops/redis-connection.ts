// A short-lived Redis connection for status and doctor, which must report an unreachable or
// misconfigured Redis rather than fail on it.
import type { Redis } from 'ioredis';
import { connectRedis, createRedis } from '../redis/client.js';
import { Commands } from '../redis/commands.js';

/** The Redis URL without userinfo: `redis://host:port/db`. */
export function redisDisplay(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

export interface OpsRedis {
  redis: Redis;
  commands: Commands;
  /** Null when connected; else the last connection error (e.g. WRONGPASS, ECONNREFUSED). */
  error: string | null;
  close(): void;
}

export async function openOpsRedis(url: string, prefix: string, waitMs = 3000): Promise<OpsRedis> {
  const redis = createRedis({ url, name: 'paycue-ops', commandTimeoutMs: 5000 });
  let lastError: string | null = null;
  redis.on('error', (err: Error) => {
    lastError = err.message;
  });
  const up = await connectRedis(redis, waitMs);
  return {
    redis,
    commands: Commands.forPrefix(redis, prefix),
    error: up ? null : (lastError ?? `no answer within ${waitMs} ms`),
    close: () => redis.disconnect(),
  };
}
