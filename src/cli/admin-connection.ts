// A short-lived Redis connection for operator commands.
import type { OperatorConfig } from '../config/env.js';
import { redisTarget, sentinelAccess } from '../config/redis.js';
import { transactionRules } from '../daemon/rules.js';
import { Commands } from '../redis/commands.js';
import { Requirement } from '../replicas/requirement.js';
import { cliUser } from './actor.js';
import { connectRedis, createRedis, isRedisAuthError, lastRedisError } from '../redis/client.js';
import { describeTarget } from '../redis/target.js';
import { createTxContext, type TxContext } from '../transactions/context.js';

export async function withContext<T>(config: OperatorConfig, fn: (ctx: TxContext) => Promise<T>): Promise<T> {
  const redis = createRedis({ target: redisTarget(config), name: 'paycue-cli', commandTimeoutMs: 5000 });
  redis.on('error', () => undefined);
  try {
    if (!(await connectRedis(redis, 5000))) {
      const last = lastRedisError(redis);
      const why = isRedisAuthError(last) ? `it refused the credentials in REDIS_URL (${last?.message.split(' ')[0]})` : (last?.message ?? 'no answer');
      throw new Error(`cannot use Redis at ${describeTarget(redisTarget(config))}: ${why}`);
    }
    // Writes by hand wait for the same replicas as the daemon's (REDIS_MIN_REPLICAS or the record).
    const requirement = new Requirement({
      mode: redisTarget(config).mode, explicit: config.redisMinReplicas, redis, commands: Commands.forPrefix(redis, config.redisPrefix), actor: cliUser().by,
      ...(sentinelAccess(config) ? { sentinel: sentinelAccess(config) } : {}),
    });
    const replicas = await requirement.refresh();
    return await fn(createTxContext(redis, config.redisPrefix, { ...transactionRules(config), minReplicas: replicas ?? 0 }));
  } finally {
    redis.disconnect();
  }
}
