// Real Redis for tests: a connection to the shared test server with a prefix of its own.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { Redis } from 'ioredis';
import { connectRedis, createRedis, type RedisConnection } from '../../src/redis/client.js';
import { createTxContext, type TransactionRules, type TxContext } from '../../src/transactions/context.js';

export function redisUrl(): string {
  return inject('redisUrl');
}

export function uniquePrefix(): string {
  return `t${randomBytes(6).toString('hex')}`;
}

const opened: Redis[] = [];

export async function openRedis(url = redisUrl()): Promise<Redis> {
  const r = createRedis({ url, commandTimeoutMs: 5000, name: 'test' });
  opened.push(r);
  if (!(await connectRedis(r, 5000))) throw new Error(`test redis at ${url} is not reachable`);
  return r;
}

export async function closeAllRedis(): Promise<void> {
  await Promise.all(opened.splice(0).map((r) => r.quit().catch(() => r.disconnect())));
}

export const DEFAULT_RULES: TransactionRules = {
  step: 'som',
  direction: 'up',
  limit: 100,
  ttlMs: 30 * 60_000,
  quarantineMs: 10 * 60_000,
  cards: [],
  keepMs: 7 * 24 * 3600_000,
  messageTtlSec: 3600,
  unmatchedCap: 1000,
  creditKeepMs: 30 * 24 * 3600_000,
  creditTextKeepMs: 30 * 24 * 3600_000,
  latePayment: false,
  expiry: { mode: 'now', graceMs: 0 },
};

export async function testContext(rules: Partial<TransactionRules> = {}, prefix = uniquePrefix()): Promise<TxContext> {
  return createTxContext(await openRedis(), prefix, { ...DEFAULT_RULES, ...rules });
}

/** Every key under a prefix: lets a test prove a rejected request wrote nothing. */
export async function keysUnder(redis: RedisConnection, prefix: string): Promise<string[]> {
  return (await redis.keys(`{${prefix}}:*`)).sort();
}

/** Runs `fn` with a REDIS_URL for a Redis user that exists but is given the wrong password
 * (`wrong-password`), on the shared test server; the user is removed afterwards. */
export async function withWrongPassword<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const admin = await openRedis();
  const user = `u${uniquePrefix()}`;
  await admin.call('ACL', 'SETUSER', user, 'on', '>right-password', '~*', '&*', '+@all');
  try {
    const url = new URL(redisUrl());
    url.username = user;
    url.password = 'wrong-password';
    return await fn(url.toString());
  } finally {
    await admin.call('ACL', 'DELUSER', user);
  }
}
