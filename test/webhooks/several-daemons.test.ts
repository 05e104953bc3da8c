// Two daemons sharing one Redis and prefix: amounts stay unique across both, every event is
// delivered once, and expiry sweeps by both daemons cancel each transaction once.
import { afterAll, describe, expect, it } from 'vitest';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis, uniquePrefix } from '../helpers/redis.js';
import { startReceiver } from '../helpers/receiver.js';
import { waitFor, webhooksSettled } from '../helpers/wait.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

describe('several daemons on one Redis', () => {
  it('hand out unique amounts and deliver each webhook exactly once', async () => {
    const receiver = await startReceiver();
    try {
      const env = { REDIS_PREFIX: uniquePrefix(), WEBHOOK_URL: receiver.url, TRANSACTION_TTL: '2s' };
      const daemons = [await startTestDaemon(env), await startTestDaemon(env)];
      const created = await Promise.all(
        Array.from({ length: 40 }, (_, i) => daemons[i % 2]!.call('/create/transaction/', { body: { amount: 3000 } })),
      );
      const txs = created.map((r) => r.body.data);
      expect(new Set(txs.map((t) => t.amount)).size).toBe(40);
      // Half are paid, through either daemon, each message twice; the rest expire.
      const paid = txs.slice(0, 20);
      await Promise.all(
        paid.flatMap((t, i) => [0, 1].map((j) => daemons[(i + j) % 2]!.call('/sandbox/credit', { body: { amount: t.amount, message_id: `m${i}` } }))),
      );
      await receiver.waitFor(40, 20_000);
      // Every transaction decided (no deadline left for either sweeper) and every event delivered.
      const { ctx } = daemons[0]!;
      await waitFor('no expiry deadline left', async () => (await ctx.redis.zcard(ctx.keys.deadlines)) === 0);
      await webhooksSettled(ctx);
      expect(receiver.received).toHaveLength(40);
      const byTx = new Map(receiver.received.map((r) => [r.json.transaction_id, r.json.action]));
      expect(byTx.size).toBe(40);
      for (const t of paid) expect(byTx.get(t.transaction_id)).toBe('confirm');
      for (const t of txs.slice(20)) expect(byTx.get(t.transaction_id)).toBe('cancel');
    } finally {
      await receiver.close();
    }
  }, 40_000);
});
