import { listFailed, redeliver } from '../../src/webhooks/admin.js';
import { cliActor } from '../../src/credits/audit.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { humoCreditMessage, humoDebitMessage, humoReversalMessage } from '../../src/bot-messages/compose.js';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sleep, waitFor, webhooksSettled } from '../helpers/wait.js';

const SECRET = 'whsec_' + Buffer.from('paycue-test-secret-0123456789').toString('base64');
const receivers: Receiver[] = [];

afterEach(async () => {
  await stopTestDaemons();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(closeAllRedis);

async function setup(env: Record<string, string> = {}, respond?: Receiver['respond']) {
  const receiver = await startReceiver(respond);
  receivers.push(receiver);
  const d = await startTestDaemon({ WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET, WEBHOOK_BACKOFF: '100ms', ...env });
  return { d, receiver };
}

async function create(d: TestDaemon, amount: number) {
  const r = await d.call('/create/transaction/', { body: { amount, metadata: { order: 'A-1' } } });
  expect(r.status).toBe(200);
  return r.body.data as { transaction_id: string; amount: number; amount_tiyin: number };
}

async function waitForWebhookState(d: TestDaemon, id: string, state: string) {
  return waitFor(`webhook.state ${state} for ${id}`, async () => {
    const data = (await d.call(`/transaction/${id}`)).body.data;
    return data.webhook.state === state ? data : undefined;
  });
}

describe('confirm webhooks', () => {
  it('one credit → one signed confirm webhook, however often the message is replayed', async () => {
    const { d, receiver } = await setup();
    const tx = await create(d, 20000);
    const text = humoCreditMessage(tx.amount_tiyin, '7159');
    const first = await d.call('/sandbox/credit', { body: { text, message_id: 1001 } });
    expect(first.body.data).toEqual({ matched: true, transaction_id: tx.transaction_id, credit_id: expect.stringMatching(/^cr_/) });
    const again = await Promise.all(
      Array.from({ length: 30 }, () => d.call('/sandbox/credit', { body: { text, message_id: 1001 } })),
    );
    expect(again.every((r) => r.body.data.matched === false && r.body.data.reason === 'already_processed')).toBe(true);

    await receiver.waitFor(1);
    await waitForWebhookState(d, tx.transaction_id, 'delivered');
    await webhooksSettled(d.ctx);
    expect(receiver.received).toHaveLength(1);
    const hook = receiver.received[0]!;
    const verified = new Webhook(SECRET).verify(hook.body, {
      'webhook-id': hook.headers['webhook-id'] as string,
      'webhook-timestamp': hook.headers['webhook-timestamp'] as string,
      'webhook-signature': hook.headers['webhook-signature'] as string,
    });
    expect(verified).toEqual({
      action: 'confirm',
      amount: 20000,
      amount_tiyin: 2_000_000,
      transaction_id: tx.transaction_id,
      card: null,
      metadata: { order: 'A-1' },
      occurred_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      resolution: 'auto',
    });
    expect(hook.headers['content-type']).toBe('application/json');
    expect(hook.headers['user-agent']).toMatch(/^paycue\/\d+\.\d+\.\d+/);
    expect(hook.headers['webhook-id']).toBe(`msg_${tx.transaction_id}_confirm`);
  });

  it('an event decided before webhook-ids were stored keeps the id its earlier attempts had', async () => {
    const { d, receiver } = await setup({ WEBHOOK_RETRIES: '0' }, (_r, n) => (n === 1 ? { status: 500 } : { status: 200, body: '{"ok":true}' }));
    const tx = await create(d, 310);
    await d.call('/sandbox/credit', { body: { amount: tx.amount } });
    await receiver.waitFor(1);
    await waitForWebhookState(d, tx.transaction_id, 'failed');
    // The record as an older paycue wrote it: no stored webhook-id.
    await d.ctx.redis.hdel(d.ctx.keys.tx(tx.transaction_id), 'wh_id');
    expect(await redeliver(d.ctx, tx.transaction_id, cliActor('ops', 'vps1'))).toBe('queued');
    const [, again] = await receiver.waitFor(2);
    expect(again!.headers['webhook-id']).toBe(`msg_${tx.transaction_id}`);
  });

  it('a tampered body fails verification (the signature covers the bytes sent)', async () => {
    const { d, receiver } = await setup();
    const tx = await create(d, 300);
    await d.call('/sandbox/credit', { body: { amount: tx.amount } });
    const [hook] = await receiver.waitFor(1);
    const headers = {
      'webhook-id': hook!.headers['webhook-id'] as string,
      'webhook-timestamp': hook!.headers['webhook-timestamp'] as string,
      'webhook-signature': hook!.headers['webhook-signature'] as string,
    };
    expect(() => new Webhook(SECRET).verify(hook!.body.replace('"confirm"', '"cancel"'), headers)).toThrow();
  });

  it('a debit or a reversal of exactly a pending amount sends nothing', async () => {
    const { d, receiver } = await setup();
    const tx = await create(d, 82762);
    const reversal = await d.call('/sandbox/credit', { body: { text: humoReversalMessage(tx.amount_tiyin, '7159') } });
    const debit = await d.call('/sandbox/credit', { body: { text: humoDebitMessage(tx.amount_tiyin, '7159') } });
    expect(reversal.body.data).toMatchObject({ matched: false, reason: 'reversal' });
    expect(debit.body.data).toMatchObject({ matched: false, reason: 'debit' });
    const spoof = await d.call('/sandbox/credit', { body: { text: humoCreditMessage(tx.amount_tiyin, '7159'), sender: 111111111 } });
    expect(spoof.body.data).toMatchObject({ matched: false, reason: 'unknown_sender' });
    // A match would have queued its event before answering; the queue is empty and stays so.
    await webhooksSettled(d.ctx);
    expect(receiver.received).toHaveLength(0);
    expect((await d.call(`/transaction/${tx.transaction_id}`)).body.data.state).toBe('pending');
  });
});

describe('retries', () => {
  it('receiver failing twice then succeeding → 3 attempts, one webhook-id, delivered', async () => {
    const { d, receiver } = await setup({}, (_req, n) => (n <= 2 ? { status: 500, body: 'boom' } : { status: 200, body: '{"ok": true}' }));
    const tx = await create(d, 1000);
    await d.call('/sandbox/credit', { body: { amount: tx.amount } });
    const data = await waitForWebhookState(d, tx.transaction_id, 'delivered');
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(data.webhook.attempts).toBe(3);
    expect(data.webhook.attempt_log.map((a: { status: number }) => a.status)).toEqual([500, 500, 200]);
  });

  it('receiver always failing → exactly 1 + WEBHOOK_RETRIES attempts, then failed; redeliver sends it again', async () => {
    let healthy = false;
    const { d, receiver } = await setup({ WEBHOOK_RETRIES: '2' }, () =>
      healthy ? { status: 200, body: '{"ok": true}' } : { status: 200, body: '{"ok": false}' },
    );
    const tx = await create(d, 1000);
    await d.call('/sandbox/credit', { body: { amount: tx.amount } });
    const data = await waitForWebhookState(d, tx.transaction_id, 'failed');
    await webhooksSettled(d.ctx);
    expect(receiver.received).toHaveLength(3);
    expect(data.webhook.attempts).toBe(3);
    expect(data.state).toBe('confirmed');

    expect((await listFailed(d.ctx)).map((f) => f.transaction_id)).toEqual([tx.transaction_id]);
    healthy = true;
    expect(await redeliver(d.ctx, tx.transaction_id, cliActor('ops', 'vps1'))).toBe('queued');
    // The redelivery is a manual action: its audit entry says who.
    expect((await d.call(`/transaction/${tx.transaction_id}`)).body.data.audit).toEqual([
      expect.objectContaining({ action: 'redeliver', by: 'cli:ops@vps1', transaction_id: tx.transaction_id, reason: 'webhook queued again' }),
    ]);
    await waitForWebhookState(d, tx.transaction_id, 'delivered');
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(await listFailed(d.ctx)).toEqual([]);
  });

  it('honours Retry-After on 429 and does not follow redirects', async () => {
    const { d, receiver } = await setup({}, (_req, n): ReturnType<Receiver['respond']> =>
      n === 1
        ? { status: 429, headers: { 'retry-after': '1' } }
        : n === 2
          ? { status: 302, headers: { location: 'http://127.0.0.1:9/elsewhere' } }
          : { status: 200, body: '{"ok":true}' },
    );
    const tx = await create(d, 1000);
    await d.call('/sandbox/credit', { body: { amount: tx.amount } });
    const data = await waitForWebhookState(d, tx.transaction_id, 'delivered');
    const [a, b, c] = receiver.received;
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(1000);
    expect(c).toBeDefined();
    expect(data.webhook.attempt_log[1]).toMatchObject({ status: 302, error: 'redirect not followed' });
  });

  it('times out a slow receiver and retries', async () => {
    const { d, receiver } = await setup({ WEBHOOK_TIMEOUT: '300ms' }, (_req, n) =>
      n === 1 ? { status: 200, body: '{"ok":true}', delayMs: 2000 } : { status: 200, body: '{"ok":true}' },
    );
    const tx = await create(d, 1000);
    await d.call('/sandbox/credit', { body: { amount: tx.amount } });
    const data = await waitForWebhookState(d, tx.transaction_id, 'delivered');
    expect(receiver.received.length).toBeGreaterThanOrEqual(2);
    expect(data.webhook.attempt_log[0].error).toMatch(/timed out/);
  });
});

describe('cancel webhooks', () => {
  it('expiry → one cancel webhook; a credit afterwards confirms nothing and is listed as late', async () => {
    const { d, receiver } = await setup({ TRANSACTION_TTL: '1s' });
    const tx = await create(d, 4000);
    const [hook] = await receiver.waitFor(1, 10_000);
    expect(hook!.json).toMatchObject({ action: 'cancel', transaction_id: tx.transaction_id, amount: 4000 });
    const late = await d.call('/sandbox/credit', { body: { amount: tx.amount } });
    expect(late.body.data).toMatchObject({ matched: false, reason: 'late', transaction_id: tx.transaction_id });
    await webhooksSettled(d.ctx);
    expect(receiver.received).toHaveLength(1);
    const { listUnmatched } = await import('../../src/transactions/credit.js');
    expect((await listUnmatched(d.ctx))[0]).toMatchObject({ reason: 'late', transaction_id: tx.transaction_id });
  });

  it('the merchant\'s cancel sends one cancel webhook', async () => {
    const { d, receiver } = await setup();
    const tx = await create(d, 4000);
    await d.call(`/transaction/${tx.transaction_id}/cancel`, { method: 'POST' });
    await d.call(`/transaction/${tx.transaction_id}/cancel`, { method: 'POST' });
    const [hook] = await receiver.waitFor(1);
    await waitForWebhookState(d, tx.transaction_id, 'delivered');
    await webhooksSettled(d.ctx);
    expect(receiver.received).toHaveLength(1);
    expect(hook!.json.action).toBe('cancel');
  });

  it('confirm racing expiry at the deadline → exactly one webhook', async () => {
    const { d, receiver } = await setup({ TRANSACTION_TTL: '1s' });
    const txs = await Promise.all(Array.from({ length: 10 }, (_, i) => create(d, 100 + i)));
    await sleep(950); // not a wait for a state: the credits must arrive right at the 1 s deadline
    await Promise.all(txs.map((t) => d.call('/sandbox/credit', { body: { amount: t.amount } })));
    await receiver.waitFor(10);
    // Every transaction decided (no deadline left for the sweeper) and every event delivered.
    await waitFor('no expiry deadline left', async () => (await d.ctx.redis.zcard(d.ctx.keys.deadlines)) === 0);
    await webhooksSettled(d.ctx);
    expect(receiver.received).toHaveLength(10);
    const byTx = new Map(receiver.received.map((r) => [r.json.transaction_id, r.json.action]));
    expect(byTx.size).toBe(10);
    for (const t of txs) {
      const state = (await d.call(`/transaction/${t.transaction_id}`)).body.data.state;
      expect(byTx.get(t.transaction_id)).toBe(state === 'confirmed' ? 'confirm' : 'cancel');
    }
  });
});
