// (d) Redis memory per pending transaction: a fresh private redis-server, N creates through
// the engine's own createTransaction, INFO memory used_memory before and after.
import type { Redis } from 'ioredis';
import { createRedis, connectRedis } from '../src/redis/client.js';
import { startLocalRedis } from '../src/dev/local-redis.js';
import { createTxContext, type TxContext } from '../src/transactions/context.js';
import { transactionRules } from '../src/daemon/rules.js';
import { createTransaction } from '../src/transactions/create.js';
import type { Config } from '../src/config/env.js';

export interface MemoryVariant {
  label: string;
  metadataBytes: number;
  transactions: number;
  usedMemoryBefore: number;
  usedMemoryAfter: number;
  bytesPerTransaction: number;
  /** MEMORY USAGE of the structures involved, per transaction (excludes the keyspace dict overhead). */
  breakdown: { txHash: number; amountsZset: number; ownersHash: number; deadlinesZset: number };
  seconds: number;
}

export interface MemoryResult {
  redisVersion: string;
  allocator: string;
  variants: MemoryVariant[];
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const m = /^used_memory:(\d+)/m.exec(info);
  if (!m) throw new Error('INFO memory has no used_memory');
  return Number(m[1]);
}

async function memoryUsage(redis: Redis, key: string): Promise<number> {
  return Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
}

async function createMany(ctx: TxContext, n: number, firstAmount: number, metadata: (i: number) => unknown, concurrency = 64): Promise<string[]> {
  const ids: string[] = [];
  let i = 0;
  const worker = async () => {
    while (i < n) {
      const k = i++;
      const meta = metadata(k);
      const r = await createTransaction(ctx, { amountSom: firstAmount + k, ...(meta !== undefined ? { metadata: meta } : {}) });
      if (r.kind !== 'created') throw new Error(`create ${k} returned ${r.kind}`);
      ids.push(r.tx.id);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ids;
}

async function variant(
  redis: Redis,
  config: Config,
  prefix: string,
  label: string,
  n: number,
  metadata: (i: number) => unknown,
): Promise<MemoryVariant> {
  const ctx = createTxContext(redis, prefix, transactionRules(config));
  // One create first, outside the measurement: loads the Lua script and creates the
  // per-card structures, so the difference is the marginal cost of N pending transactions.
  await createMany(ctx, 1, 1_000, metadata, 1);
  const before = await usedMemory(redis);
  const t0 = performance.now();
  const ids = await createMany(ctx, n, 10_000, metadata);
  const seconds = (performance.now() - t0) / 1000;
  const after = await usedMemory(redis);
  const card = ctx.rules.cards[0] ?? '_';
  let txHash = 0;
  const sample = ids.slice(0, 200);
  for (const id of sample) txHash += await memoryUsage(redis, ctx.keys.tx(id));
  const per = (x: number) => Math.round(x / (n + 1));
  const meta = metadata(0);
  return {
    label,
    metadataBytes: meta === undefined ? 0 : Buffer.byteLength(JSON.stringify(meta)),
    transactions: n,
    usedMemoryBefore: before,
    usedMemoryAfter: after,
    bytesPerTransaction: Math.round((after - before) / n),
    breakdown: {
      txHash: Math.round(txHash / sample.length),
      amountsZset: per(await memoryUsage(redis, ctx.keys.amounts(card))),
      ownersHash: per(await memoryUsage(redis, ctx.keys.owners(card))),
      deadlinesZset: per(await memoryUsage(redis, ctx.keys.deadlines)),
    },
    seconds,
  };
}

/** Each variant gets its own fresh redis-server, so nothing else is in it. `track` registers
 * each server's stop with the caller, so an interrupted run still stops it. */
export async function measureMemory(config: Config, n: number, track: (stop: () => Promise<void>) => void): Promise<MemoryResult> {
  const variants: MemoryVariant[] = [];
  let redisVersion = '';
  let allocator = '';
  const cases: [string, (i: number) => unknown][] = [
    ['no metadata', () => undefined],
    ['metadata {"order_id":"ord-00000001"}', (i) => ({ order_id: `ord-${String(i).padStart(8, '0')}` })],
  ];
  for (const [label, metadata] of cases) {
    const server = await startLocalRedis();
    track(() => server.stop());
    const redis = createRedis({ url: server.url, name: 'paycue-bench-memory', commandTimeoutMs: 10_000 });
    try {
      if (!(await connectRedis(redis, 5000))) throw new Error('private redis did not become ready');
      const info = await redis.info('server');
      redisVersion = /^redis_version:(\S+)/m.exec(info)?.[1] ?? '';
      allocator = /^mem_allocator:(\S+)/m.exec(await redis.info('memory'))?.[1] ?? '';
      variants.push(await variant(redis, config, 'paycue', label, n, metadata));
    } finally {
      redis.disconnect();
      await server.stop();
    }
  }
  return { redisVersion, allocator, variants };
}
