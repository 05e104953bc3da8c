// (g) GET /transactions and GET /credits at scale: 100,000 transactions made by the real
// reservation script (which keeps the indexes) in a fresh redis-server, then the list operation
// timed for a first page, a page 60,000 records deep, a state filter and a card filter.
import type { Redis } from 'ioredis';
import { encodeCursor } from '../src/lists/page.js';
import { connectRedis, createRedis } from '../src/redis/client.js';
import { startLocalRedis } from '../src/dev/local-redis.js';
import { createTransaction } from '../src/transactions/create.js';
import { createTxContext } from '../src/transactions/context.js';
import { listTransactions, type TransactionQuery } from '../src/transactions/list.js';
import { summarize, type LatencySummary } from './stats.js';
import { countCommands } from '../src/dev/count-commands.js';

export interface ListBenchResult {
  records: number;
  seedSeconds: number;
  cases: { name: string; limit: number; redisCalls: number; latencyMs: LatencySummary }[];
}

export async function benchList(records: number, iterations: number, onStop: (stop: () => Promise<void>) => void): Promise<ListBenchResult> {
  const server = await startLocalRedis();
  onStop(() => server.stop());
  const redis = createRedis({ url: server.url, name: 'bench-list', commandTimeoutMs: 30_000 });
  onStop(async () => redis.disconnect());
  if (!(await connectRedis(redis, 5000))) throw new Error('bench redis is not reachable');
  const ctx = createTxContext(redis, 'bench', {
    step: 'som', direction: 'up', limit: 100, ttlMs: 24 * 3600_000, quarantineMs: 600_000, cards: ['7159', '0042'],
    keepMs: 7 * 24 * 3600_000, messageTtlSec: 3600, unmatchedCap: 1000, creditKeepMs: 30 * 24 * 3600_000,
    creditTextKeepMs: 30 * 24 * 3600_000, latePayment: false, expiry: { mode: 'now', graceMs: 0 },
  });
  const t0 = performance.now();
  const concurrency = 256;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < records) {
        const i = next++;
        await createTransaction(ctx, { amountSom: 10_000 + (i % 50_000) * 3, card: i % 2 ? '7159' : '0042' });
      }
    }),
  );
  const seedSeconds = (performance.now() - t0) / 1000;
  const [, deepScore] = await redis.zrevrange(ctx.keys.txIndex, 60_000, 60_000, 'WITHSCORES');
  const counter = countCommands(redis);
  const cases: [string, TransactionQuery][] = [
    ['first page', { limit: 200 }],
    ['page 60,000 records deep', { limit: 200, cursor: encodeCursor({ score: Number(deepScore), skip: 0 }) }],
    ['state=pending', { limit: 200, state: 'pending' }],
    ['card=7159 (filtered)', { limit: 200, card: '7159' }],
  ];
  const out: ListBenchResult['cases'] = [];
  for (const [name, q] of cases) {
    counter.reset();
    await listTransactions(ctx, q);
    const calls = counter.calls();
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const s = performance.now();
      await listTransactions(ctx, q);
      samples.push(performance.now() - s);
    }
    out.push({ name, limit: q.limit, redisCalls: calls, latencyMs: summarize(samples) });
  }
  return { records, seedSeconds, cases: out };
}
