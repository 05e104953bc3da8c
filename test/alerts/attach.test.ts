// Issue 18 part 4 through the alert bot (the real grammY against the Bot API stand-in): which
// orders an open credit's alert offers, the second tap for a different amount, the bank's text on
// an ambiguous credit, and the alert following the confirm webhook (queued → delivered / failed).
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';
import type { Receiver } from '../helpers/receiver.js';
import type { BotApi, SentMessage } from '../helpers/bot-api.js';
import { ADMIN, startAlertDaemon } from '../helpers/alert-bot.js';
import { waitFor } from '../helpers/wait.js';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await stopTestDaemons();
  await Promise.all(opened.splice(0).map((x) => x.close()));
});
afterAll(closeAllRedis);

const FAST = { tickMs: 50, pollSeconds: 1, telegramDownMs: 60_000, redisDownMs: 60_000, perMinute: 60, burst: 3 };

async function setup(env: Record<string, string> = {}, respond?: Receiver['respond']) {
  const started = await startAlertDaemon(FAST, env, respond);
  opened.push(started.api, started.receiver);
  return started;
}

async function create(d: TestDaemon, amount: number, card?: string) {
  const r = await d.call('/create/transaction/', { body: { amount, ...(card ? { card } : {}) } });
  expect(r.status).toBe(200);
  return r.body.data as { transaction_id: string; amount: number; card: string | null };
}

async function openCredit(d: TestDaemon, body: Record<string, unknown>) {
  const out = (await d.call('/sandbox/credit', { body })).body.data as { matched: boolean; credit_id: string; reason: string };
  expect(out.matched).toBe(false);
  return out.credit_id;
}

const buttons = (m: { reply_markup?: SentMessage['reply_markup'] }) => m.reply_markup?.inline_keyboard.flat() ?? [];
const attachTargets = (m: SentMessage) => buttons(m).filter((b) => b.callback_data.startsWith('at|')).map((b) => b.callback_data.split('|')[2]);
const alertOf = (api: BotApi, creditId: string) => api.waitFor('the alert', () => api.sent.find((m) => m.text.includes(creditId)));

/** The alert's message id is on the credit record: settling it now edits that alert. */
const alertRecorded = (d: TestDaemon, creditId: string) => waitFor('the alert recorded', () => d.ctx.redis.hget(d.ctx.keys.credit(creditId), 'alert_message'));

describe('which orders an alert offers', () => {
  it('only pending orders on the credit\'s card within ATTACH_TOLERANCE (default 5%), closest first', async () => {
    const { d, api } = await setup({ CARDS: '7159,0042' });
    const near = await create(d, 10_000, '7159'); // 50 so'm off
    const fair = await create(d, 10_400, '7159'); // 350 off, within 5% of 10 050 (502.50)
    await create(d, 10_600, '7159'); // 550 off: implausible
    await create(d, 9_400, '7159'); // 650 off: implausible
    await create(d, 10_000, '0042'); // plausible amount, but another card
    const cancelled = await create(d, 10_100, '7159'); // closest of all, but no longer pending
    expect((await d.call(`/transaction/${cancelled.transaction_id}/cancel`, { method: 'POST' })).status).toBe(200);
    const creditId = await openCredit(d, { amount: 10_050, card: '7159', message_id: 1 });
    const msg = await alertOf(api, creditId);
    expect(attachTargets(msg)).toEqual([near.transaction_id, fair.transaction_id]);
    expect(msg.text).toMatch(/Closest pending transactions:\n• 10 000\.00 UZS · \*7159 · .*\n• 10 400\.00 UZS · \*7159 · /);
  });

  it('a fixed tolerance in so\'m; a credit to a card not in CARDS is offered nothing', async () => {
    const { d, api } = await setup({ CARDS: '7159', ATTACH_TOLERANCE: '100' });
    const near = await create(d, 5_000, '7159');
    await create(d, 5_200, '7159'); // 101 off
    const creditId = await openCredit(d, { amount: 5_099, card: '7159', message_id: 2 });
    expect(attachTargets(await alertOf(api, creditId))).toEqual([near.transaction_id]);
    const stranger = await openCredit(d, { amount: 5_000, card: '1111', message_id: 3 });
    const msg = await alertOf(api, stranger);
    expect(attachTargets(msg)).toEqual([]);
    expect(msg.text).toContain('No pending transaction on its card within ATTACH_TOLERANCE');
    expect(buttons(msg).filter((b) => b.callback_data.startsWith('dm|'))).toHaveLength(3);
  });
});

describe('attaching a different amount from the alert', () => {
  it('the first tap states the difference and attaches nothing; "Yes, attach" attaches, and the webhook says what arrived', async () => {
    const { d, api, receiver } = await setup();
    const tx = await create(d, 20_000);
    const creditId = await openCredit(d, { amount: 19_999, message_id: 10 });
    const msg = await alertOf(api, creditId);
    const first = api.press({ id: ADMIN }, msg, `at|${creditId}|${tx.transaction_id}`);

    const ask = await api.waitFor('the question', () => api.edits[0]);
    const answer = await api.waitFor('the answer', () => api.answers.find((a) => a.callback_query_id === first));
    expect(answer.text).toBe('19 999.00 UZS arrived; the order is 20 000.00 UZS: 1.00 UZS less than the order. Tap "Yes, attach" to attach it anyway.');
    expect(ask.message_id).toBe(msg.message_id);
    expect(ask.text).toContain(`❓ Attach to the 20 000.00 UZS order ${tx.transaction_id}? 19 999.00 UZS arrived: 1.00 UZS less than the order.`);
    const yes = buttons(ask)[0]!;
    expect(yes).toEqual({ text: '✅ Yes, attach (1.00 UZS less than the order)', callback_data: `ax|${creditId}|${tx.transaction_id}` });
    expect(buttons(ask).filter((b) => b.callback_data.startsWith('dm|'))).toHaveLength(3);
    // Nothing happened yet.
    expect((await d.call(`/transaction/${tx.transaction_id}`)).body.data.state).toBe('pending');
    expect((await d.call(`/credits/${creditId}`)).body.data).toMatchObject({ state: 'open', audit: [] });
    expect(receiver.received).toHaveLength(0);

    api.press({ id: ADMIN, username: 'boss' }, { ...msg, text: ask.text }, yes.callback_data);
    const hook = (await receiver.waitFor(1))[0]!;
    expect(hook.json).toMatchObject({
      action: 'confirm', transaction_id: tx.transaction_id, amount: 20_000, amount_tiyin: 2_000_000, resolution: 'manual',
      credit_id: creditId, amount_received: 19_999, amount_received_tiyin: 1_999_900,
    });
    const done = await api.waitFor('the alert saying delivered', () => api.edits.find((e) => /confirm webhook delivered/.test(e.text)));
    expect(done.message_id).toBe(msg.message_id);
    expect(done.text).toContain(
      `✅ Attached to ${tx.transaction_id}: confirmed (order 20 000.00 UZS, 1.00 UZS less than the order) · confirm webhook delivered — by telegram:${ADMIN} (@boss)`,
    );
    expect(done.reply_markup).toBeUndefined();
    expect((await d.call(`/credits/${creditId}`)).body.data.resolution).toMatchObject({ kind: 'attached', transaction_id: tx.transaction_id, by: `telegram:${ADMIN} (@boss)` });
  });

  it('a first tap that loses a race (the order was cancelled) says why and asks nothing', async () => {
    const { d, api } = await setup();
    const tx = await create(d, 21_000);
    const creditId = await openCredit(d, { amount: 20_990, message_id: 11 });
    const msg = await alertOf(api, creditId);
    expect((await d.call(`/transaction/${tx.transaction_id}/cancel`, { method: 'POST' })).status).toBe(200);
    const id = api.press({ id: ADMIN }, msg, `at|${creditId}|${tx.transaction_id}`);
    const answer = await api.waitFor('the refusal', () => api.answers.find((a) => a.callback_query_id === id));
    expect(answer.text).toBe('transaction is no longer pending (cancelled)');
    expect(api.edits).toEqual([]);
    expect((await d.call(`/credits/${creditId}`)).body.data.state).toBe('open');
  });
});

describe('an ambiguous credit', () => {
  const text = '💸 Операция\n➕ 50.000,00 UZS\n📍 P2P 8600 1234 5678 4411 → 9860170123456789\n💳 HUMOCARD *7159\n🕓 10:00 22.11.2026';

  it('its alert quotes the bank\'s message with card numbers masked; the exact amount attaches on one tap', async () => {
    const { d, api, receiver } = await setup();
    const tx = await create(d, 50_000);
    const out = (await d.call('/sandbox/credit', { body: { text, message_id: 20 } })).body.data;
    expect(out.reason).toBe('ambiguous');
    const msg = await alertOf(api, out.credit_id);
    expect(msg.text).toContain('Verdict: ambiguous');
    expect(msg.text).toContain('Bank message:\n💸 Операция\n➕ 50.000,00 UZS\n📍 P2P 860012******4411 → 986017******6789\n💳 HUMOCARD *7159');
    expect(msg.text).not.toMatch(/1234 5678|0123456789/);
    expect(attachTargets(msg)).toEqual([tx.transaction_id]);
    api.press({ id: ADMIN }, msg, `at|${out.credit_id}|${tx.transaction_id}`);
    expect((await receiver.waitFor(1))[0]!.json).toMatchObject({ transaction_id: tx.transaction_id, amount_received: 50_000, credit_id: out.credit_id });
    const done = await api.waitFor('the settled alert', () => api.edits.find((e) => /✅ Attached/.test(e.text)));
    expect(done.text).toContain('Bank message:');
    expect(done.text).not.toMatch(/1234 5678|0123456789/);
    expect(done.text).not.toContain('less than the order');
    expect(api.edits.some((e) => e.text.includes('❓'))).toBe(false);
  });

  it('a no_match credit\'s alert does not quote the bank text', async () => {
    const { d, api } = await setup();
    const out = (await d.call('/sandbox/credit', { body: { text: "🎉 To'ldirish\n➕ 1.234,00 UZS\n📍 CLICK P2P\n💳 HUMOCARD *7159\n🕓 10:00 22.11.2026", message_id: 21 } })).body.data;
    expect(out.reason).toBe('no_match');
    expect((await alertOf(api, out.credit_id)).text).not.toContain('Bank message');
  });
});

describe('the alert follows the confirm webhook', () => {
  it('queued while the receiver fails, delivered once it answers', async () => {
    let up = false;
    const { d, api, receiver } = await setup({ WEBHOOK_RETRIES: '100', WEBHOOK_BACKOFF: '100ms' }, () => (up ? { status: 200, body: '{"ok": true}' } : { status: 500 }));
    const tx = await create(d, 30_000);
    const creditId = await openCredit(d, { amount: 30_001, message_id: 30 });
    const msg = await alertOf(api, creditId);
    await alertRecorded(d, creditId);
    expect((await d.call(`/credits/${creditId}/attach`, { body: { transaction_id: tx.transaction_id, reason: 'paid 1 som over' } })).status).toBe(200);
    const queued = await api.waitFor('the queued edit', () => api.edits[0]);
    expect(queued.message_id).toBe(msg.message_id);
    expect(queued.text).toContain(`✅ Attached to ${tx.transaction_id}: confirmed (order 30 000.00 UZS, 1.00 UZS more than the order) · confirm webhook queued — by api:merchant`);
    await receiver.waitFor(2); // failing attempts: still queued, and no other edit
    expect(api.edits.every((e) => e.text.includes('confirm webhook queued'))).toBe(true);
    up = true;
    const delivered = await api.waitFor('the delivered edit', () => api.edits.find((e) => e.text.includes('confirm webhook delivered')));
    expect(delivered.message_id).toBe(msg.message_id);
    expect((await d.call(`/transaction/${tx.transaction_id}`)).body.data.webhook.state).toBe('delivered');
  });

  it('failed when the last retry failed', async () => {
    // The only attempt is held open until the alert said "queued", then fails.
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    const { d, api } = await setup({ WEBHOOK_RETRIES: '0' }, () => ({ status: 500, until: held }));
    const tx = await create(d, 31_000);
    const creditId = await openCredit(d, { amount: 31_002, message_id: 31 });
    const msg = await alertOf(api, creditId);
    await alertRecorded(d, creditId);
    expect((await d.call(`/credits/${creditId}/attach`, { body: { transaction_id: tx.transaction_id, reason: 'x' } })).status).toBe(200);
    expect((await api.waitFor('the queued edit', () => api.edits[0])).text).toContain('confirm webhook queued');
    release();
    const failed = await api.waitFor('the failed edit', () => api.edits.find((e) => e.text.includes('confirm webhook failed')));
    expect(failed.message_id).toBe(msg.message_id);
    expect(failed.text).toContain('confirm webhook failed (see its alert to redeliver)');
    // And the failure has its own alert, with the Redeliver button.
    await api.waitFor('the failure alert', () => api.sent.find((m) => m.text.includes('failed its last retry') && m.text.includes(tx.transaction_id)));
  });
});
