// A short-lived Redis connection for operator commands.
import type { OperatorConfig } from '../config/env.js';
import { transactionRules } from '../daemon/rules.js';
import { connectRedis, createRedis } from '../redis/client.js';
import { createTxContext, type TxContext } from '../transactions/context.js';

export async function withContext<T>(config: OperatorConfig, fn: (ctx: TxContext) => Promise<T>): Promise<T> {
  const redis = createRedis({ url: config.redisUrl, name: 'paycue-cli', commandTimeoutMs: 5000 });
  redis.on('error', () => undefined);
  try {
    if (!(await connectRedis(redis, 5000))) {
      throw new Error(`cannot reach Redis at ${config.redisUrl.replace(/\/\/[^@]*@/, '//***@')}`);
    }
    return await fn(createTxContext(redis, config.redisPrefix, transactionRules(config)));
  } finally {
    redis.disconnect();
  }
}
