// Issue #12 end to end in sandbox: every credit the bank reported becomes a record; the ones that
// confirm nothing are open until a person attaches or dismisses them, with an audit trail.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { humoCreditMessage } from '../../src/bot-messages/compose.js';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis, keysUnder } from '../helpers/redis.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { listFailed } from '../../src/webhooks/admin.js';
import { runWebhooksRedeliver, runWebhooksRedeliverFailed } from '../../src/cli/admin-commands.js';
import { runCreditsAttach, runTransactionsList } from '../../src/cli/review-commands.js';
import { captureIO } from '../helpers/cli-io.js';

const receivers: Receiver[] = [];
afterEach(async () => {
  await stopTestDaemons();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(closeAllRedis);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(env: Record<string, string> = {}, respond?: Receiver['respond']) {
  const receiver = await startReceiver(respond);
  receivers.push(receiver);
  const d = await startTestDaemon({ WEBHOOK_URL: receiver.url, WEBHOOK_BACKOFF: '100ms', ...env }, { sweepIntervalMs: 50 });
  return { d, receiver };
}

async function create(d: TestDaemon, amount: number) {
  const r = await d.call('/create/transaction/', { body: { amount } });
  expect(r.status).toBe(200);
  return r.body.data as { transaction_id: string; amount: number; amount_tiyin: number };
}

async function credit(d: TestDaemon, body: Record<string, unknown>) {
  const r = await d.call('/sandbox/credit', { body });
  expect(r.status).toBe(200);
  return r.body.data as { matched: boolean; reason?: string; transaction_id?: string; credit_id: string };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const hooks = (r: Receiver, action: string) => r.received.filter((h) => h.json?.action === action);

describe('credit records', () => {
  it('a matched credit is a record resolved auto, with the transaction and the raw text', async () => {
    const { d, receiver } = await setup();
    const tx = await create(d, 20000);
    const text = humoCreditMessage(tx.amount_tiyin, '7159');
    const out = await credit(d, { text, message_id: 1 });
    expect(out.matched).toBe(true);
    const c = await d.call(`/credits/${out.credit_id}`);
    expect(c.body.data).toMatchObject({
      credit_id: out.credit_id, bot: 'humo', amount: 20000, amount_tiyin: 2_000_000, last4: '7159', verdict: 'matched', state: 'resolved',
      resolution: { kind: 'auto', transaction_id: tx.transaction_id, by: 'paycue' }, text, audit: [],
    });
    await receiver.waitFor(1);
    expect(receiver.received[0]?.json).toMatchObject({ action: 'confirm', resolution: 'auto' });
    // The same message again is the same record.
    const again = await credit(d, { text, message_id: 1 });
    expect(again).toMatchObject({ matched: false, reason: 'already_processed', credit_id: out.credit_id });
    expect((await d.call('/credits?state=resolved')).body.data.items).toHaveLength(1);
  });

  it('late payment: an open credit, the cancel stands, a late_payment webhook when enabled and never a confirm', async () => {
    const { d, receiver } = await setup({ TRANSACTION_TTL: '200ms', WEBHOOK_LATE_PAYMENT: 'true' });
    const tx = await create(d, 30000);
    await waitFor('the cancel webhook', async () => (hooks(receiver, 'cancel').length === 1 ? true : undefined));
    const out = await credit(d, { amount: 30000, message_id: 2 });
    expect(out).toMatchObject({ matched: false, reason: 'late', transaction_id: tx.transaction_id });
    const late = await waitFor('the late_payment webhook', async () => hooks(receiver, 'late_payment')[0]);
    expect(late.json).toEqual({
      action: 'late_payment', transaction_id: tx.transaction_id, amount: 30000, amount_tiyin: 3_000_000, credit_id: out.credit_id,
      card: null, occurred_at: expect.any(String),
    });
    expect(late.headers['webhook-id']).toBe(`msg_${out.credit_id}_late_payment`);
    const open = (await d.call('/credits?state=open')).body.data;
    expect(open.items.map((i: { credit_id: string }) => i.credit_id)).toEqual([out.credit_id]);
    expect(open.items[0]).toMatchObject({ verdict: 'late', state: 'open', resolution: null });
    expect((await d.call(`/transaction/${tx.transaction_id}`)).body.data.state).toBe('cancelled');
    await waitFor('the late_payment delivery to be recorded', async () =>
      (await d.call(`/credits/${out.credit_id}`)).body.data.late_payment_webhook?.state === 'delivered' ? true : undefined);
    expect(hooks(receiver, 'confirm')).toHaveLength(0);
  });

  it('a late_payment webhook that fails its last retry is listed as failed, with its credit, and can be redelivered', async () => {
    let up = false;
    const { d, receiver } = await setup({ TRANSACTION_TTL: '200ms', WEBHOOK_LATE_PAYMENT: 'true', WEBHOOK_RETRIES: '0' }, (r) =>
      r.json?.action === 'late_payment' && !up ? { status: 500 } : { status: 200, body: '{"ok": true}' });
    const tx = await create(d, 30002);
    await waitFor('the cancel', async () => ((await d.call(`/transaction/${tx.transaction_id}`)).body.data.webhook.state === 'delivered' ? true : undefined));
    const out = await credit(d, { amount: 30002, message_id: 20 });
    await waitFor('the failure', async () => ((await listFailed(d.ctx)).length === 1 ? true : undefined));
    expect((await listFailed(d.ctx))[0]).toMatchObject({
      action: 'late_payment', credit_id: out.credit_id, transaction_id: tx.transaction_id, attempts: 1, last_error: expect.stringMatching(/500/),
    });
    expect((await d.call(`/credits/${out.credit_id}`)).body.data.late_payment_webhook).toEqual({ state: 'failed', attempts: 1 });

    // The merchant is back: `paycue webhooks redeliver <credit id>` sends it again, same webhook-id.
    up = true;
    const cli = captureIO();
    expect(await runWebhooksRedeliver(d.config, cli.io, out.credit_id.toUpperCase().replace('CR_', 'cr_'))).toBe(0);
    expect(cli.out[0]).toMatch(new RegExp(`queued a new delivery of credit ${out.credit_id}'s late_payment event`));
    const late = await waitFor('the late_payment redelivered', async () => hooks(receiver, 'late_payment')[1]);
    expect(late.headers['webhook-id']).toBe(`msg_${out.credit_id}_late_payment`);
    await waitFor('the redelivery to be recorded', async () =>
      (await d.call(`/credits/${out.credit_id}`)).body.data.late_payment_webhook?.state === 'delivered' ? true : undefined);
    expect((await d.call(`/credits/${out.credit_id}`)).body.data.late_payment_webhook).toEqual({ state: 'delivered', attempts: 2 });
    expect((await d.call(`/credits/${out.credit_id}`)).body.data.audit).toEqual([
      expect.objectContaining({ action: 'redeliver', by: expect.stringMatching(/^cli:/), credit_id: out.credit_id }),
    ]);
    expect(await listFailed(d.ctx)).toEqual([]);
    // A credit with no late_payment event has nothing to send.
    const plain = await credit(d, { amount: 77, message_id: 21 });
    const none = captureIO();
    expect(await runWebhooksRedeliver(d.config, none.io, plain.credit_id)).toBe(1);
    expect(none.err[0]).toMatch(/^nothing to send for credit .*no late_payment event/);
  });

  it('webhooks redeliver --all-failed queues failed late_payment events with the rest', async () => {
    let up = false;
    const { d, receiver } = await setup({ TRANSACTION_TTL: '200ms', WEBHOOK_LATE_PAYMENT: 'true', WEBHOOK_RETRIES: '0' }, (r) =>
      r.json?.action === 'late_payment' && !up ? { status: 500 } : { status: 200, body: '{"ok": true}' });
    const tx = await create(d, 30003);
    await waitFor('the cancel', async () => ((await d.call(`/transaction/${tx.transaction_id}`)).body.data.webhook.state === 'delivered' ? true : undefined));
    const out = await credit(d, { amount: 30003, message_id: 22 });
    await waitFor('the failure', async () => ((await listFailed(d.ctx)).length === 1 ? true : undefined));
    up = true;
    const cli = captureIO();
    expect(await runWebhooksRedeliverFailed(d.config, cli.io, null)).toBe(0);
    expect(cli.out[0]).toMatch(/^queued 1 failed deliveries again/);
    expect(cli.err).toEqual([]);
    const again = await waitFor('the late_payment redelivered', async () => hooks(receiver, 'late_payment')[1]);
    expect(again.json.credit_id).toBe(out.credit_id);
    await waitFor('the redelivery to be recorded', async () => ((await listFailed(d.ctx)).length === 0 ? true : undefined));
  });

  it("a late_payment event whose transaction record expired: not redeliverable, and one still queued is recorded failed", async () => {
    const { d } = await setup({ TRANSACTION_TTL: '200ms', WEBHOOK_LATE_PAYMENT: 'true', WEBHOOK_RETRIES: '0' }, (r) =>
      r.json?.action === 'late_payment' ? { status: 500 } : { status: 200, body: '{"ok": true}' });
    const tx = await create(d, 30004);
    await waitFor('the cancel', async () => ((await d.call(`/transaction/${tx.transaction_id}`)).body.data.webhook.state === 'delivered' ? true : undefined));
    const out = await credit(d, { amount: 30004, message_id: 23 });
    await waitFor('the failure', async () => ((await listFailed(d.ctx)).length === 1 ? true : undefined));
    // Seven days on, the transaction record is gone (its TTL), the open credit is not.
    await d.ctx.redis.del(d.ctx.keys.tx(tx.transaction_id));
    const cli = captureIO();
    expect(await runWebhooksRedeliver(d.config, cli.io, out.credit_id)).toBe(1);
    expect(cli.err[0]).toMatch(/^nothing to send for credit cr_[0-9a-f]+: .*record has expired/);
    expect(await listFailed(d.ctx)).toHaveLength(1); // still listed: nothing was queued
    // An event queued just before the record expired cannot be built: recorded failed, not left pending.
    await d.ctx.redis.hset(d.ctx.keys.credit(out.credit_id), 'wh_state', 'pending');
    await d.ctx.redis.zrem(d.ctx.keys.failed, out.credit_id);
    await d.ctx.redis.xadd(d.ctx.keys.events, '*', 'tx', out.credit_id, 'action', 'late_payment');
    await waitFor('the event recorded failed', async () =>
      (await d.call(`/credits/${out.credit_id}`)).body.data.late_payment_webhook?.state === 'failed' ? true : undefined);
    expect((await listFailed(d.ctx))[0]).toMatchObject({ credit_id: out.credit_id, last_error: expect.stringMatching(/transaction record has expired/) });
  });

  it('late payment without WEBHOOK_LATE_PAYMENT: open credit, no third event', async () => {
    const { d, receiver } = await setup({ TRANSACTION_TTL: '200ms' });
    await create(d, 30001);
    await waitFor('the cancel webhook', async () => (hooks(receiver, 'cancel').length === 1 ? true : undefined));
    const out = await credit(d, { amount: 30001, message_id: 3 });
    expect(out.reason).toBe('late');
    const tx2 = await create(d, 500); // a later event proves the queue moved on past where a late_payment would be
    await credit(d, { amount: 500, message_id: 4 });
    await waitFor('the later confirm', async () => (hooks(receiver, 'confirm').length === 1 ? true : undefined));
    expect(hooks(receiver, 'confirm')[0]?.json.transaction_id).toBe(tx2.transaction_id);
    expect(receiver.received.map((h) => h.json.action).sort()).toEqual(['cancel', 'confirm']);
  });

  it('double payment: the second credit of a paid amount is an open credit', async () => {
    const { d } = await setup();
    const tx = await create(d, 40000);
    expect((await credit(d, { amount: 40000, message_id: 5 })).matched).toBe(true);
    const second = await credit(d, { amount: 40000, message_id: 6 });
    expect(second).toMatchObject({ matched: false, reason: 'already_confirmed', transaction_id: tx.transaction_id });
    const c = (await d.call(`/credits/${second.credit_id}`)).body.data;
    expect(c).toMatchObject({ verdict: 'already_confirmed', state: 'open', transaction_id: tx.transaction_id });
  });

  it('an ambiguous message with a pending amount: open credit, the transaction stays pending', async () => {
    const { d, receiver } = await setup();
    const tx = await create(d, 50000);
    const text = '💸 Операция\n➕ 50.000,00 UZS\n📍 SOMEONE\n💳 HUMOCARD *7159\n🕓 10:00 22.11.2026';
    const out = await credit(d, { text, message_id: 7 });
    expect(out).toMatchObject({ matched: false, reason: 'ambiguous' });
    const c = (await d.call(`/credits/${out.credit_id}`)).body.data;
    expect(c).toMatchObject({ verdict: 'ambiguous', state: 'open', amount_tiyin: 5_000_000, last4: '7159', text });
    expect((await d.call(`/transaction/${tx.transaction_id}`)).body.data.state).toBe('pending');
    await sleep(200);
    expect(receiver.received).toHaveLength(0);
  });

  it('attach → the confirm webhook says resolution manual; the audit names who and why; a second attach is 409', async () => {
    const { d, receiver } = await setup();
    const tx = await create(d, 60000);
    const out = await credit(d, { amount: 59999, message_id: 8 }); // a slightly wrong amount
    expect(out.reason).toBe('no_match');
    const r = await d.call(`/credits/${out.credit_id}/attach`, { body: { transaction_id: tx.transaction_id, reason: 'paid 1 som short' } });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({
      state: 'resolved',
      resolution: { kind: 'attached', transaction_id: tx.transaction_id, by: 'api:merchant', reason: 'paid 1 som short' },
      audit: [{ by: 'api:merchant', action: 'attach', reason: 'paid 1 som short', transaction_id: tx.transaction_id, credit_id: out.credit_id }],
    });
    const hook = (await receiver.waitFor(1))[0];
    expect(hook?.json).toMatchObject({ action: 'confirm', transaction_id: tx.transaction_id, resolution: 'manual' });
    const t = (await d.call(`/transaction/${tx.transaction_id}`)).body.data;
    expect(t).toMatchObject({ state: 'confirmed', resolution: 'manual', confirmed_by: 'api:merchant', credit_id: out.credit_id });
    expect(t.audit).toHaveLength(1);
    const tx2 = await create(d, 70000);
    const again = await d.call(`/credits/${out.credit_id}/attach`, { body: { transaction_id: tx2.transaction_id, reason: 'again' } });
    expect(again.status).toBe(409);
    expect((await d.call(`/transaction/${tx2.transaction_id}`)).body.data.state).toBe('pending');
    expect((await d.call('/credits?state=open')).body.data.items).toHaveLength(0);
  });

  it('attach a credit of another amount: credit_id and amount_received (tiyin-exact) in the webhook, the record and the list; amount stays the order\'s', async () => {
    const { d, receiver } = await setup();
    const tx = await create(d, 60000);
    const other = await create(d, 61000);
    const out = await credit(d, { amount: 59999.5, message_id: 40 }); // 59 999 so'm 50 tiyin: short by 50 tiyin
    expect(out.reason).toBe('no_match');
    expect((await d.call(`/credits/${out.credit_id}/attach`, { body: { transaction_id: tx.transaction_id, reason: 'paid 50 tiyin short' } })).status).toBe(200);

    const hook = (await receiver.waitFor(1))[0]!;
    expect(hook.json).toEqual({
      action: 'confirm', amount: 60000, amount_tiyin: 6_000_000, transaction_id: tx.transaction_id, card: null, occurred_at: expect.any(String),
      resolution: 'manual', credit_id: out.credit_id, amount_received: 59999.5, amount_received_tiyin: 5_999_950,
    });
    const shown = (await d.call(`/transaction/${tx.transaction_id}`)).body.data;
    expect(shown).toMatchObject({
      amount: 60000, amount_tiyin: 6_000_000, state: 'confirmed', credit_id: out.credit_id, amount_received: 59999.5, amount_received_tiyin: 5_999_950,
    });
    const listed = (await d.call('/transactions')).body.data.items as Record<string, unknown>[];
    expect(listed.find((t) => t.transaction_id === tx.transaction_id)).toMatchObject({ amount: 60000, credit_id: out.credit_id, amount_received: 59999.5, amount_received_tiyin: 5_999_950 });
    expect(listed.find((t) => t.transaction_id === other.transaction_id)).not.toHaveProperty('amount_received');

    const json = captureIO();
    expect(await runTransactionsList(d.config, json.io, { limit: 10, json: true, state: 'confirmed' })).toBe(0);
    expect(JSON.parse(json.out[0]!)).toMatchObject({ transaction_id: tx.transaction_id, amount: 60000, credit_id: out.credit_id, amount_received: 59999.5 });
    const table = captureIO();
    await runTransactionsList(d.config, table.io, { limit: 10, json: false, state: 'confirmed' });
    expect(table.out[1]).toContain(`${tx.transaction_id}  60 000.00 UZS`);
    expect(table.out[1]).toMatch(new RegExp(`confirmed \\(manual: ${out.credit_id} brought 59 999\\.50 UZS, 0\\.50 UZS less\\)$`));
  });

  it('in tiyin mode amount_received is shaped like amount (two decimals), and the CLI attach says what arrived', async () => {
    const { d, receiver } = await setup({ AMOUNT_STEP: 'tiyin' });
    const tx = await create(d, 700);
    expect(tx.amount).toBe(700);
    const out = await credit(d, { amount: 700.25, message_id: 41 });
    const cli = captureIO();
    expect(await runCreditsAttach(d.config, cli.io, out.credit_id, tx.transaction_id, 'paid 25 tiyin over')).toBe(0);
    expect(cli.out[0]).toMatch(/queued; 700\.25 UZS arrived for the 700\.00 UZS order \(0\.25 UZS more\)$/);
    expect((await receiver.waitFor(1))[0]!.json).toMatchObject({ amount: 700, amount_tiyin: 70_000, amount_received: 700.25, amount_received_tiyin: 70_025 });
  });

  it('confirms without an attached credit carry neither field: a bank match, a manual confirm', async () => {
    const { d, receiver } = await setup();
    const auto = await create(d, 65000);
    const byHand = await create(d, 66000);
    expect((await credit(d, { amount: 65000, message_id: 42 })).matched).toBe(true);
    expect((await d.call(`/transaction/${byHand.transaction_id}/confirm`, { body: { reason: 'cash' } })).status).toBe(200);
    await receiver.waitFor(2);
    for (const h of receiver.received) {
      expect(h.json).not.toHaveProperty('amount_received');
      expect(h.json).not.toHaveProperty('credit_id');
    }
    expect((await d.call(`/transaction/${auto.transaction_id}`)).body.data).not.toHaveProperty('amount_received');
  });

  it('dismiss settles a credit once; bad requests write nothing', async () => {
    const { d } = await setup();
    const out = await credit(d, { amount: 123, message_id: 9 });
    const before = await keysUnder(d.ctx.redis, d.config.redisPrefix);
    expect((await d.call(`/credits/${out.credit_id}/dismiss`, { body: {} })).status).toBe(400);
    expect((await d.call(`/credits/${out.credit_id}/dismiss`, { body: { reason: '  ' } })).status).toBe(400);
    expect((await d.call(`/credits/${out.credit_id}/attach`, { body: { transaction_id: 'nope', reason: 'x' } })).status).toBe(400);
    expect((await d.call(`/credits/cr_0000000000000000/dismiss`, { body: { reason: 'x' } })).status).toBe(404);
    expect((await d.call('/credits?limit=0')).status).toBe(400);
    expect((await d.call('/credits?cursor=garbage')).status).toBe(400);
    expect(await keysUnder(d.ctx.redis, d.config.redisPrefix)).toEqual(before);
    expect((await d.call(`/credits/${out.credit_id}`)).body.data.state).toBe('open');

    const r = await d.call(`/credits/${out.credit_id}/dismiss`, { body: { reason: 'refunded' } });
    expect(r.status).toBe(200);
    expect(r.body.data.resolution).toMatchObject({ kind: 'dismissed', by: 'api:merchant', reason: 'refunded' });
    expect((await d.call(`/credits/${out.credit_id}/dismiss`, { body: { reason: 'again' } })).status).toBe(409);
  });

  it('manual confirm: resolution manual in the webhook, then neither cancel nor a second confirm', async () => {
    const { d, receiver } = await setup();
    const tx = await create(d, 80000);
    const r = await d.call(`/transaction/${tx.transaction_id}/confirm`, { body: { reason: 'cash at the till' } });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ state: 'confirmed', resolution: 'manual', confirm_reason: 'cash at the till' });
    expect(r.body.data.audit[0]).toMatchObject({ action: 'confirm', by: 'api:merchant', reason: 'cash at the till' });
    expect((await receiver.waitFor(1))[0]?.json).toMatchObject({ action: 'confirm', resolution: 'manual' });
    expect((await d.call(`/transaction/${tx.transaction_id}/cancel`, { method: 'POST' })).status).toBe(409);
    expect((await d.call(`/transaction/${tx.transaction_id}/confirm`, { body: { reason: 'again' } })).status).toBe(409);
    // The bank message that arrives later is a double payment, open for review.
    expect((await credit(d, { amount: 80000, message_id: 10 })).reason).toBe('already_confirmed');
    await sleep(200);
    expect(receiver.received).toHaveLength(1);
  });
});

describe('races', () => {
  it('50 concurrent attaches of one credit to different transactions: exactly one wins', async () => {
    const { d, receiver } = await setup();
    const txs = [];
    for (let i = 0; i < 50; i++) txs.push(await create(d, 1000 + i * 200));
    const out = await credit(d, { amount: 999, message_id: 11 });
    const replies = await Promise.all(
      txs.map((t) => d.call(`/credits/${out.credit_id}/attach`, { body: { transaction_id: t.transaction_id, reason: 'race' } })),
    );
    expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409)).toHaveLength(49);
    const states = await Promise.all(txs.map(async (t) => (await d.call(`/transaction/${t.transaction_id}`)).body.data.state));
    expect(states.filter((s) => s === 'confirmed')).toHaveLength(1);
    expect(states.filter((s) => s === 'pending')).toHaveLength(49);
    await receiver.waitFor(1);
    await sleep(200);
    expect(receiver.received).toHaveLength(1);
  });

  it('attach racing the expiry of its transaction: confirmed or 409, never both decided', async () => {
    const { d, receiver } = await setup({ TRANSACTION_TTL: '100ms' });
    let attached = 0;
    let refused = 0;
    for (let i = 0; i < 15; i++) {
      const tx = await create(d, 2000 + i);
      const out = await credit(d, { amount: 99_000 + i, message_id: 100 + i });
      await sleep(90 + (i % 5) * 5);
      const r = await d.call(`/credits/${out.credit_id}/attach`, { body: { transaction_id: tx.transaction_id, reason: 'race' } });
      const state = await waitFor('a decision', async () => {
        const s = (await d.call(`/transaction/${tx.transaction_id}`)).body.data.state as string;
        return s === 'pending' ? undefined : s;
      });
      const c = (await d.call(`/credits/${out.credit_id}`)).body.data;
      if (r.status === 200) {
        attached++;
        expect(state).toBe('confirmed');
        expect(c.state).toBe('resolved');
      } else {
        refused++;
        expect(r.status).toBe(409);
        expect(state).toBe('cancelled');
        expect(c.state).toBe('open');
      }
    }
    expect(attached + refused).toBe(15);
    await waitFor('every webhook', async () => (receiver.received.length >= 15 ? true : undefined));
    await sleep(200);
    const byTx = new Map<string, string[]>();
    for (const h of receiver.received) byTx.set(h.json.transaction_id, [...(byTx.get(h.json.transaction_id) ?? []), h.json.action]);
    for (const actions of byTx.values()) expect(actions).toHaveLength(1);
  });
});
