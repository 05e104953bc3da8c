// Redis goes away and comes back while paycue runs: fast 503s, then everything resumes by
// itself, and an event decided before the outage is still delivered.
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalRedis } from '../../src/dev/local-redis.js';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { startReceiver } from '../helpers/receiver.js';
import { sleep, waitFor } from '../helpers/wait.js';

afterAll(stopTestDaemons);

describe('Redis outage', () => {
  it('answers 503 while Redis is down and recovers without a restart, losing no webhook', async () => {
    const redis = await startLocalRedis({ persist: true });
    const receiver = await startReceiver((_r, n) => (n === 1 ? { status: 200, body: '{"ok":true}', delayMs: 1500 } : { status: 200, body: '{"ok":true}' }));
    try {
      const d = await startTestDaemon({ REDIS_URL: redis.url, WEBHOOK_URL: receiver.url, WEBHOOK_BACKOFF: '100ms' });
      const tx = (await d.call('/create/transaction/', { body: { amount: 5000 } })).body.data;
      expect((await d.call('/sandbox/credit', { body: { amount: tx.amount } })).body.data.matched).toBe(true);
      await receiver.waitFor(1); // the first delivery is in flight (the receiver answers slowly)…
      await redis.kill(); // …and Redis dies before its result can be recorded

      // The API neither hangs nor crashes: a fast, clear 503 (the client gives up after 5 s).
      for (const path of ['/create/transaction/', '/sandbox/credit']) {
        const res = await fetch(d.url + path, {
          method: 'POST',
          headers: { authorization: (await import('../helpers/daemon.js')).AUTH, 'content-type': 'application/json' },
          body: JSON.stringify({ amount: 7000 }),
          signal: AbortSignal.timeout(5000),
        });
        expect(res.status).toBe(503);
        expect(((await res.json()) as { data: { detail: string } }).data.detail).toMatch(/Redis is unreachable/);
      }
      const ready = await d.call('/ready', { auth: false });
      expect(ready.status).toBe(503);
      expect(ready.body.data.redis).toBe('down');
      // Not a wait for a state: the outage lasts a while, so the workers and the sweeper meet it too.
      await sleep(1000);

      await redis.restart();
      // Requests succeed again without restarting paycue.
      const created = await waitFor('a create to succeed again', async () => {
        const r = await d.call('/create/transaction/', { body: { amount: 7000 } });
        return r.status === 200 ? r : undefined;
      }, { timeoutMs: 5000, intervalMs: 100 });
      expect(created.status).toBe(200);
      expect((await d.call('/ready', { auth: false })).status).toBe(200);

      // The confirm decided before the outage is delivered (again, same webhook-id) and recorded.
      const state = await waitFor('the confirm to be delivered after the outage', async () => {
        const s: string | undefined = (await d.call(`/transaction/${tx.transaction_id}`)).body.data?.webhook?.state;
        return s === 'delivered' ? s : undefined;
      }, { timeoutMs: 25_000, intervalMs: 200 });
      expect(state).toBe('delivered');
      expect(receiver.received.length).toBeGreaterThanOrEqual(2);
      expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([`msg_${tx.transaction_id}_confirm`]));
    } finally {
      await stopTestDaemons();
      await receiver.close();
      await redis.stop();
    }
  }, 60_000);
});
