// Redis loses its last second of AOF after a confirm was delivered (issue #15 item 3): the
// transaction is pending again, expires, and its cancel must carry a webhook-id of its own,
// or a receiver deduplicating on webhook-id silently drops it.
import { afterAll, describe, expect, it } from 'vitest';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';
import { startReceiver } from '../helpers/receiver.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

describe('webhook-id per decided event', () => {
  it('a confirm rolled back to pending and then expired is delivered as a cancel with another webhook-id', async () => {
    const receiver = await startReceiver();
    try {
      const d = await startTestDaemon({ WEBHOOK_URL: receiver.url, TRANSACTION_TTL: '60m' });
      const { redis, keys } = d.ctx;
      const tx = (await d.call('/create/transaction/', { body: { amount: 4000 } })).body.data;
      // What an AOF truncated to before the confirm would hold.
      const touched = [keys.tx(tx.transaction_id), keys.deadlines, keys.cardLoad, keys.quarantine, keys.amounts('_'), keys.owners('_')];
      const before = await Promise.all(touched.map((k) => redis.dumpBuffer(k)));

      expect((await d.call('/sandbox/credit', { body: { amount: tx.amount } })).body.data.matched).toBe(true);
      const [confirm] = await receiver.waitFor(1);
      expect(confirm!.json.action).toBe('confirm');

      for (const [i, k] of touched.entries()) {
        const dump = before[i];
        if (dump) await redis.restore(k, 0, dump, 'REPLACE');
        else await redis.del(k);
      }
      expect((await d.call(`/transaction/${tx.transaction_id}`)).body.data.state).toBe('pending');
      // Its deadline passes: the daemon's own sweeper expires it.
      await redis.hset(keys.tx(tx.transaction_id), 'expires_at', String(Date.now() - 1000));
      await redis.zadd(keys.deadlines, Date.now() - 1000, tx.transaction_id);

      const hooks = await receiver.waitFor(2);
      expect(hooks[1]!.json.action).toBe('cancel');
      expect(hooks[1]!.headers['webhook-id']).not.toBe(confirm!.headers['webhook-id']);
      expect(confirm!.headers['webhook-id']).toBe(`msg_${tx.transaction_id}_confirm`);
      expect(hooks[1]!.headers['webhook-id']).toBe(`msg_${tx.transaction_id}_cancel`);
    } finally {
      await receiver.close();
    }
  });
});
