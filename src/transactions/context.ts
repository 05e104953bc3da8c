// What every transaction operation needs: the Redis connection, key names and the rules.
import type { Redis } from 'ioredis';
import { redisKeys, type RedisKeys } from '../redis/keys.js';
import type { AmountDirection, AmountStep } from '../money/amount.js';
import type { Config } from '../config/env.js';

export interface TransactionRules {
  step: AmountStep;
  direction: AmountDirection;
  limit: number;
  ttlMs: number;
  quarantineMs: number;
  /** Configured last-4s; empty means one implicit card. */
  cards: string[];
  /** How long closed records are kept. */
  keepMs: number;
  /** How long a processed Telegram message is remembered (s). */
  messageTtlSec: number;
  unmatchedCap: number;
}

export interface TxContext {
  redis: Redis;
  keys: RedisKeys;
  rules: TransactionRules;
  now: () => number;
}

export const SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000;

export function rulesFromConfig(c: Config): TransactionRules {
  return {
    step: c.amountStep,
    direction: c.amountDirection,
    limit: c.limit,
    ttlMs: c.transactionTtlMs,
    quarantineMs: c.quarantineMs,
    cards: c.cards,
    keepMs: SEVEN_DAYS_MS,
    messageTtlSec: 30 * 24 * 3600,
    unmatchedCap: 1000,
  };
}

export function createTxContext(redis: Redis, prefix: string, rules: TransactionRules, now = Date.now): TxContext {
  return { redis, keys: redisKeys(prefix), rules, now };
}
