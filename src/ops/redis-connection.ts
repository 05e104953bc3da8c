// A short-lived Redis connection for status and doctor, which must report an unreachable or
// misconfigured Redis rather than fail on it.
import type { OperatorConfig } from '../config/env.js';
import { redisTarget } from '../config/redis.js';
import { connectRedis, createRedis, type RedisConnection } from '../redis/client.js';
import { describeTarget } from '../redis/target.js';
import { Commands } from '../redis/commands.js';

/** Where Redis is, without its password (safe to print). */
export function redisDisplay(config: OperatorConfig): string {
  return describeTarget(redisTarget(config));
}

/** " (Redis <address>, prefix <prefix>)": what an operator command looked at, when it found nothing. */
export const whereLooked = (config: OperatorConfig): string => ` (Redis ${redisDisplay(config)}, prefix ${config.redisPrefix})`;

export interface OpsRedis {
  redis: RedisConnection;
  commands: Commands;
  /** Null when connected; else the last connection error (e.g. WRONGPASS, ECONNREFUSED). */
  error: string | null;
  close(): void;
}

export async function openOpsRedis(config: OperatorConfig, waitMs = 3000): Promise<OpsRedis> {
  const prefix = config.redisPrefix;
  const redis = createRedis({ target: redisTarget(config), name: 'paycue-ops', commandTimeoutMs: 5000 });
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
