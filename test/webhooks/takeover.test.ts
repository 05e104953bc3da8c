// A delivery taken over by another daemon stays theirs (issue #15 item 11): daemon A's
// heartbeat must not claim the entry back, and A's late failure must not decide the outcome
// over B's success.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTransaction } from '../../src/transactions/create.js';
import { applyCredit } from '../../src/transactions/credit.js';
import { getTransaction } from '../../src/transactions/get.js';
import type { TxContext } from '../../src/transactions/context.js';
import { WebhookDispatcher, type DispatcherTimings } from '../../src/webhooks/dispatcher.js';
import { closeAllRedis, testContext } from '../helpers/redis.js';
import { startDispatcher } from '../helpers/dispatcher.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { waitFor, webhooksSettled } from '../helpers/wait.js';

const LONG = 60_000;
const running: WebhookDispatcher[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop(500)));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(closeAllRedis);

async function dispatcher(ctx: TxContext, url: string, timings: DispatcherTimings): Promise<WebhookDispatcher> {
  const d = await startDispatcher(ctx, url, timings, { retries: 0 });
  running.push(d);
  return d;
}

describe('delivery takeover', () => {
  it("A's heartbeat leaves an entry B took over; B's success counts, A's later failure does not", async () => {
    const ctx = await testContext();
    // A's attempt (the first request) fails after a while; B's (the second) succeeds later still.
    const receiver = await startReceiver((_r, n) =>
      n === 1 ? { status: 500, delayMs: 800 } : { status: 200, body: '{"ok":true}', delayMs: 1500 },
    );
    receivers.push(receiver);
    const r = await createTransaction(ctx, { amountSom: 100 });
    if (r.kind !== 'created') throw new Error('not created');
    await applyCredit(ctx, { amountTiyin: r.tx.amountTiyin, last4: null, messageKey: `m-${r.tx.id}`, bot: 'humo' });

    // A heartbeats often; it never reclaims. B takes over at once, as after A lost Redis > 10 s.
    await dispatcher(ctx, receiver.url, { reclaimIdleMs: LONG, reclaimEveryMs: LONG, heartbeatEveryMs: 50, retryPollMs: 50, blockMs: 300 });
    await receiver.waitFor(1);
    await dispatcher(ctx, receiver.url, { reclaimIdleMs: 0, reclaimEveryMs: LONG, heartbeatEveryMs: LONG, retryPollMs: 50, blockMs: 300 });
    await receiver.waitFor(2);

    await waitFor('the delivery to be decided', async () => (await getTransaction(ctx, r.tx.id))?.webhookState !== 'pending');
    // Both attempts have answered and been recorded (A's failure came first): the queue is empty,
    // so nothing can move the state any more.
    await webhooksSettled(ctx);
    const tx = await getTransaction(ctx, r.tx.id);
    expect(tx?.webhookState).toBe('delivered');
    expect(await ctx.redis.zscore(ctx.keys.failed, r.tx.id)).toBeNull();
  });
});
