// Shutdown while another daemon shares the queue: nothing is delivered more than the one
// documented extra time (the attempt cut short), nothing read during shutdown is started,
// and the stopped daemon leaves no consumer behind.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WEBHOOK_GROUP } from '../../src/redis/keys.js';
import { createTransaction } from '../../src/transactions/create.js';
import { applyCredit } from '../../src/transactions/credit.js';
import { getTransaction } from '../../src/transactions/get.js';
import type { TxContext } from '../../src/transactions/context.js';
import type { DispatcherTimings } from '../../src/webhooks/dispatcher.js';
import { closeAllRedis, testContext } from '../helpers/redis.js';
import { startDispatcher } from '../helpers/dispatcher.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sleep, waitFor, webhooksSettled } from '../helpers/wait.js';

const FAST: DispatcherTimings = { reclaimIdleMs: 300, reclaimEveryMs: 100, heartbeatEveryMs: 100, retryPollMs: 50, blockMs: 300 };
const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(closeAllRedis);

const dispatcher = (ctx: TxContext, url: string) => startDispatcher(ctx, url, FAST);

async function confirmedTx(ctx: TxContext): Promise<string> {
  const r = await createTransaction(ctx, { amountSom: 100 });
  if (r.kind !== 'created') throw new Error('not created');
  await applyCredit(ctx, { amountTiyin: r.tx.amountTiyin, last4: null, messageKey: `m-${r.tx.id}`, bot: 'humo' });
  return r.tx.id;
}

async function consumers(ctx: TxContext): Promise<string[]> {
  const rows = (await ctx.redis.xinfo('CONSUMERS', ctx.keys.events, WEBHOOK_GROUP)) as (string | number)[][];
  return rows.map((r) => String(r[r.indexOf('name') + 1]));
}

describe('dispatcher shutdown', () => {
  it('a delivery cut short by shutdown is sent once more, not twice more, while another daemon runs', async () => {
    const ctx = await testContext();
    const receiver = await startReceiver((_r, n) => (n === 1 ? { status: 200, body: '{"ok":true}', delayMs: 1500 } : { status: 200, body: '{"ok":true}' }));
    receivers.push(receiver);
    const id = await confirmedTx(ctx);
    const a = await dispatcher(ctx, receiver.url);
    await receiver.waitFor(1);
    const b = await dispatcher(ctx, receiver.url);
    await a.stop(1000); // shorter than the receiver's 1.5 s: the attempt is cut short
    await waitFor('the webhook to be delivered', async () => (await getTransaction(ctx, id))?.webhookState === 'delivered');
    await webhooksSettled(ctx);
    expect((await getTransaction(ctx, id))?.webhookState).toBe('delivered');
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([`msg_${id}_confirm`, `msg_${id}_confirm`]);
    expect((await getTransaction(ctx, id))?.webhookAttempts).toBe(1);
    await b.stop(1000);
    expect(await consumers(ctx)).toEqual([]);
  }, 20_000);

  it('an event read while stopping is handed back, not delivered by the stopping daemon', async () => {
    const ctx = await testContext();
    const receiver = await startReceiver();
    receivers.push(receiver);
    const a = await dispatcher(ctx, receiver.url);
    // No state shows a blocked XREADGROUP (its consumer appears only once it returns): give a
    // moment to enter its read, so that the event below arrives in it after stop began.
    await sleep(100);
    const stopping = a.stop(2000);
    const id = await confirmedTx(ctx); // arrives in a's blocked read, after stop began
    await stopping;
    // a has stopped and holds nothing: the event is back on the stream, pending for no consumer.
    expect(await ctx.redis.xlen(ctx.keys.events)).toBe(1);
    expect(((await ctx.redis.xpending(ctx.keys.events, WEBHOOK_GROUP)) as [number])[0]).toBe(0);
    expect(receiver.received).toHaveLength(0);
    const b = await dispatcher(ctx, receiver.url);
    await receiver.waitFor(1);
    await webhooksSettled(ctx);
    expect(receiver.received.map((r) => r.json.transaction_id)).toEqual([id]);
    await b.stop(1000);
  }, 20_000);

  it('records nothing for a transaction whose record is gone (no hash without a TTL)', async () => {
    const ctx = await testContext();
    const k = ctx.keys;
    const reply = await ctx.commands.attemptResult({
      consumer: 'consumer',
      txId: 'gone', action: 'confirm', entryId: '0-1', success: true, attempt: '{}', now: Date.now(), attemptsPerRound: 4, retryAt: Date.now(), keepMs: 1000,
    });
    expect(reply).toEqual({ decision: 'gone', attempts: 0 });
    expect(await ctx.redis.exists(k.tx('gone'), k.attempts('gone'))).toBe(0);
  });
});
