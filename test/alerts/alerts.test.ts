// The merchant's alert bot, run by the real grammY against a Bot API stand-in on 127.0.0.1.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startTestDaemon, stopTestDaemons, testConfig, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis, uniquePrefix } from '../helpers/redis.js';
import { captureIO } from '../helpers/cli-io.js';
import { waitFor } from '../helpers/wait.js';
import { runCreditsAttach } from '../../src/cli/review-commands.js';
import { runWebhooksRedeliverFailed } from '../../src/cli/admin-commands.js';
import { listFailed } from '../../src/webhooks/admin.js';
import type { Receiver } from '../helpers/receiver.js';
import { startBotApi, TOKEN, type BotApi } from '../helpers/bot-api.js';
import { ADMIN, CHAT, startAlertDaemon } from '../helpers/alert-bot.js';

const apis: BotApi[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  await stopTestDaemons();
  await Promise.all([...apis.splice(0).map((a) => a.close()), ...receivers.splice(0).map((r) => r.close())]);
});
afterAll(closeAllRedis);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FAST = { tickMs: 50, pollSeconds: 1, telegramDownMs: 200, redisDownMs: 200, perMinute: 12, burst: 3 };

async function setup(env: Record<string, string> = {}, respond?: Receiver['respond']) {
  const started = await startAlertDaemon(FAST, env, respond);
  apis.push(started.api);
  receivers.push(started.receiver);
  return started;
}

async function create(d: TestDaemon, amount: number) {
  return (await d.call('/create/transaction/', { body: { amount } })).body.data as { transaction_id: string };
}

describe('alerts', () => {
  it('an open credit: one alert with amount, card, verdict, the 3 closest pending transactions and buttons; an admin attaches', async () => {
    const { d, api, receiver } = await setup();
    const txs: { transaction_id: string }[] = [];
    for (const a of [10_000, 10_100, 9_800, 12_000, 50_000]) txs.push(await create(d, a));
    const out = (await d.call('/sandbox/credit', { body: { amount: 10_050, card: '7159', message_id: 1 } })).body.data;
    const msg = await api.waitFor('the alert', () => api.sent[0]);
    expect(msg.chat_id).toBe(CHAT);
    expect(msg.text).toMatch(/Open credit: 10 050\.00 UZS/);
    expect(msg.text).toMatch(/Card: \*7159/);
    expect(msg.text).toMatch(/Verdict: no_match/);
    expect(msg.text).toContain(out.credit_id);
    const attach = msg.reply_markup!.inline_keyboard.flat().filter((b) => b.callback_data.startsWith('at|'));
    expect(attach.map((b) => b.callback_data.split('|')[2]).sort()).toEqual([txs[0]!, txs[1]!, txs[2]!].map((t) => t.transaction_id).sort());
    expect(msg.reply_markup!.inline_keyboard.flat().some((b) => b.callback_data === `dm|${out.credit_id}|r`)).toBe(true);
    for (const b of msg.reply_markup!.inline_keyboard.flat()) expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(64);

    // 10 100 for a 10 050 credit: the first tap asks, the second ("Yes, attach") attaches.
    const target = attach.find((b) => b.callback_data.endsWith(txs[1]!.transaction_id))!;
    api.press({ id: ADMIN, username: 'boss' }, msg, target.callback_data);
    const ask = await api.waitFor('the question', () => api.edits[0]);
    const yes = ask.reply_markup!.inline_keyboard.flat().find((b) => b.callback_data.startsWith('ax|'))!;
    expect(yes.callback_data).toBe(`ax|${out.credit_id}|${txs[1]!.transaction_id}`);
    api.press({ id: ADMIN, username: 'boss' }, { ...msg, text: ask.text }, yes.callback_data);
    const edit = await api.waitFor('the edited alert', () => api.edits.find((e) => /✅ Attached/.test(e.text)));
    expect(edit.message_id).toBe(msg.message_id);
    expect(edit.text).toMatch(new RegExp(`Attached to ${txs[1]!.transaction_id}.*by telegram:${ADMIN} \\(@boss\\)`));
    const hook = (await receiver.waitFor(1))[0]!;
    expect(hook.json).toMatchObject({ action: 'confirm', transaction_id: txs[1]!.transaction_id, resolution: 'manual', amount_received: 10_050 });
    const c = (await d.call(`/credits/${out.credit_id}`)).body.data;
    expect(c.resolution).toMatchObject({ kind: 'attached', by: `telegram:${ADMIN} (@boss)`, transaction_id: txs[1]!.transaction_id });
    expect(c.audit).toHaveLength(1);
    expect(api.sent).toHaveLength(1);
  });

  it('a press from a user not in ALERT_ADMINS changes nothing', async () => {
    const { d, api } = await setup();
    const tx = await create(d, 20_000);
    const out = (await d.call('/sandbox/credit', { body: { amount: 20_001, message_id: 2 } })).body.data;
    const msg = await api.waitFor('the alert', () => api.sent[0]);
    const id = api.press({ id: 999 }, msg, `at|${out.credit_id}|${tx.transaction_id}`);
    api.press({ id: CHAT }, msg, `dm|${out.credit_id}|n`); // the chat itself is not an admin when ALERT_ADMINS is set
    await api.waitFor('both refusals', () => (api.answers.length === 2 ? true : undefined));
    expect(api.answers.find((a) => a.callback_query_id === id)?.text).toMatch(/not allowed/);
    await sleep(200);
    expect(api.edits).toHaveLength(0);
    expect((await d.call(`/credits/${out.credit_id}`)).body.data).toMatchObject({ state: 'open', resolution: null, audit: [] });
    expect((await d.call(`/transaction/${tx.transaction_id}`)).body.data.state).toBe('pending');
  });

  it('without ALERT_ADMINS the chat itself may press: dismiss edits the alert', async () => {
    const { d, api } = await setup({ ALERT_ADMINS: '' });
    const out = (await d.call('/sandbox/credit', { body: { amount: 5, message_id: 3 } })).body.data;
    const msg = await api.waitFor('the alert', () => api.sent[0]);
    api.press({ id: CHAT }, msg, `dm|${out.credit_id}|d`);
    const edit = await api.waitFor('the edited alert', () => api.edits[0]);
    expect(edit.text).toMatch(/Dismissed: duplicate — by telegram:4242/);
    expect((await d.call(`/credits/${out.credit_id}`)).body.data.resolution).toMatchObject({ kind: 'dismissed', reason: 'duplicate' });
  });

  it('a credit settled through the API: its alert is edited to say by whom, without buttons', async () => {
    const { d, api } = await setup();
    const out = (await d.call('/sandbox/credit', { body: { amount: 6, message_id: 30 } })).body.data;
    const msg = await api.waitFor('the alert', () => api.sent[0]);
    for (let i = 0; i < 100 && !(await d.ctx.redis.hget(d.ctx.keys.credit(out.credit_id), 'alert_message')); i++) await sleep(20);
    expect((await d.call(`/credits/${out.credit_id}/dismiss`, { body: { reason: 'refunded' } })).status).toBe(200);
    const edit = await api.waitFor('the edit', () => api.edits[0]);
    expect(edit.message_id).toBe(msg.message_id);
    expect(edit.text).toMatch(/Open credit: 6\.00 UZS[\s\S]*✅ Dismissed: refunded — by api:merchant/);
    await sleep(300); // several 50 ms ticks: edited once
    expect(api.edits).toHaveLength(1);
  });

  it('a credit settled from the CLI (another process): its alert is edited too', async () => {
    const { d, api } = await setup();
    const tx = await create(d, 8_000);
    const out = (await d.call('/sandbox/credit', { body: { amount: 7, message_id: 31 } })).body.data;
    const msg = await api.waitFor('the alert', () => api.sent[0]);
    for (let i = 0; i < 100 && !(await d.ctx.redis.hget(d.ctx.keys.credit(out.credit_id), 'alert_message')); i++) await sleep(20);
    const cli = captureIO();
    expect(await runCreditsAttach(d.config, cli.io, out.credit_id, tx.transaction_id, 'paid by a friend')).toBe(0);
    const edit = await api.waitFor('the edit', () => api.edits[0]);
    expect(edit.message_id).toBe(msg.message_id);
    expect(edit.text).toMatch(
      new RegExp(`Open credit: 7\\.00 UZS[\\s\\S]*✅ Attached to ${tx.transaction_id}: confirmed \\(order 8 000\\.00 UZS, 7 993\\.00 UZS less than the order\\) · confirm webhook (queued|delivered) — by cli:`),
    );
    expect(edit.text).not.toMatch(/Closest pending/);
  });

  it('settled while its alert was on the way: the alert is edited as soon as it is known', async () => {
    const { d, api } = await setup();
    // The Bot API has the message but has not answered yet when the merchant dismisses the credit.
    let dismissed = 0;
    api.onSend = async (m) => {
      api.onSend = undefined;
      const id = /Credit: (cr_[0-9a-f]+)/.exec(m.text)?.[1];
      dismissed = (await d.call(`/credits/${id}/dismiss`, { body: { reason: 'not a payment' } })).status;
    };
    await d.call('/sandbox/credit', { body: { amount: 9, message_id: 32 } });
    const msg = await api.waitFor('the alert', () => api.sent[0]);
    const edit = await api.waitFor('the edit', () => api.edits[0]);
    expect(dismissed).toBe(200);
    expect(edit.message_id).toBe(msg.message_id);
    expect(edit.text).toMatch(/✅ Dismissed: not a payment — by api:merchant/);
    await sleep(300);
    expect(api.edits).toHaveLength(1);
  });

  it('a burst of 100 open credits is one summary, not 100 messages', async () => {
    // The burst lands before the alert bot looks (recorded by a daemon without one, on the same
    // prefix), so how fast this machine is cannot split it over several looks.
    const prefix = uniquePrefix();
    const recorder = await startTestDaemon({ REDIS_PREFIX: prefix });
    await Promise.all(Array.from({ length: 100 }, (_, i) => recorder.call('/sandbox/credit', { body: { amount: 100 + i, message_id: 1000 + i } })));
    expect(await recorder.ctx.redis.xlen(recorder.ctx.keys.alertOutbox)).toBe(100);
    const { d, api } = await setup({ REDIS_PREFIX: prefix });
    await waitFor('the outbox to be drained', async () => (await d.ctx.redis.xlen(d.ctx.keys.alertOutbox)) === 0);
    await sleep(200); // a few more ticks: nothing else goes out
    expect(api.sent).toHaveLength(1);
    expect(api.sent[0]!.text).toMatch(/^💰 100 new open credits/);
    expect((await d.call('/credits?state=open&limit=200')).body.data.items).toHaveLength(100);
  });

  it('the Bot API hanging never delays a confirm; the alert goes out once it answers again', async () => {
    const { d, api, receiver } = await setup();
    api.mode = 'hang';
    const tx = await create(d, 30_000);
    const r = await d.call('/sandbox/credit', { body: { amount: 30_000, message_id: 4 } });
    expect(r.body.data).toMatchObject({ matched: true, transaction_id: tx.transaction_id });
    expect((await receiver.waitFor(1))[0]!.json).toMatchObject({ action: 'confirm', resolution: 'auto' });
    api.mode = 'down';
    const open = (await d.call('/sandbox/credit', { body: { amount: 31_000, message_id: 5 } })).body.data;
    expect(open.reason).toBe('no_match');
    await api.waitFor('a refused attempt to send the alert', () => (api.calls.includes('sendMessage (down)') ? true : undefined));
    expect(await d.ctx.redis.xlen(d.ctx.keys.alertOutbox)).toBe(1); // still queued, not lost
    api.mode = 'up';
    const msg = await api.waitFor('the alert after the Bot API came back', () => api.sent.find((m) => m.text.includes(open.credit_id)), 30_000);
    expect(msg).toBeDefined();
    expect(api.sent.filter((m) => m.text.includes(open.credit_id))).toHaveLength(1);
  });

  it('while nothing can be sent (rate limit used up by a failing Bot API), the outboxes are not re-read every tick', async () => {
    const api = await startBotApi(CHAT);
    apis.push(api);
    api.mode = 'down';
    const d = await startTestDaemon(
      { ALERT_BOT_TOKEN: TOKEN, ALERT_CHAT_ID: String(CHAT), ALERT_API_ROOT: api.url },
      { alertTimings: { ...FAST, perMinute: 1 } },
    );
    await d.call('/sandbox/credit', { body: { amount: 11, message_id: 50 } });
    await api.waitFor('the one allowed (refused) attempt', () => (api.calls.includes('sendMessage (down)') ? true : undefined));
    let reads = 0;
    const redis = d.ctx.redis as Redis;
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], stream?: Parameters<Redis['sendCommand']>[1]) => {
      if ((command as { name?: string }).name === 'xrange') reads++;
      return send(command, stream);
    }) as Redis['sendCommand'];
    await sleep(500); // ten 50 ms ticks
    expect(reads).toBe(0);
    expect(await d.ctx.redis.xlen(d.ctx.keys.alertOutbox)).toBe(1); // still waiting, not lost
  });

  it('a webhook that failed its last retry: an alert with a Redeliver button that queues it again', async () => {
    let up = false;
    const { d, api, receiver } = await setup({ WEBHOOK_RETRIES: '0' }, () => (up ? { status: 200, body: '{"ok": true}' } : { status: 500 }));
    const tx = await create(d, 40_000);
    await d.call('/sandbox/credit', { body: { amount: 40_000, message_id: 6 } });
    const msg = await api.waitFor('the failure alert', () => api.sent.find((m) => m.text.includes('failed its last retry')));
    expect(msg.text).toContain(tx.transaction_id);
    up = true;
    api.press({ id: ADMIN }, msg, `rd|${tx.transaction_id}`);
    await api.waitFor('the edit', () => api.edits[0]);
    await receiver.waitFor(2);
    expect(receiver.received[1]!.json).toMatchObject({ action: 'confirm', transaction_id: tx.transaction_id });
    expect((await d.call(`/transaction/${tx.transaction_id}`)).body.data.audit).toEqual([expect.objectContaining({ action: 'redeliver', by: `telegram:${ADMIN}` })]);
  });
});

/** A ROLE=api daemon (no alert bot) whose deliveries to a dead WEBHOOK_URL fail `n` confirms. */
async function failuresOnApiDaemon(n: number) {
  const prefix = uniquePrefix();
  const apiOnly = await startTestDaemon({
    SANDBOX: 'false', ROLE: 'api', APP_ID: '12345', APP_HASH: '0123456789abcdef0123456789abcdef', WEBHOOK_URL: 'http://127.0.0.1:9/hook',
    WEBHOOK_RETRIES: '0', REDIS_PREFIX: prefix, ALERT_BOT_TOKEN: TOKEN, ALERT_CHAT_ID: String(CHAT),
  });
  const txs: string[] = [];
  for (let i = 0; i < n; i++) {
    const tx = (await apiOnly.call('/create/transaction/', { body: { amount: 50_000 + i } })).body.data;
    await apiOnly.processor.processCredit({ amountTiyin: tx.amount_tiyin, last4: tx.card, bot: 'humo' }, `api-role:${i}`);
    txs.push(tx.transaction_id);
  }
  await waitFor('the deliveries to fail', async () => ((await listFailed(apiOnly.ctx)).length === n ? true : undefined));
  await apiOnly.stop(2000);
  return { prefix, txs };
}

describe('webhook failures on any daemon', () => {
  it('a confirm that failed on a ROLE=api daemon is alerted by the bot holder, whose button sends it again', async () => {
    const { prefix, txs } = await failuresOnApiDaemon(1);
    const { api, receiver } = await setup({ REDIS_PREFIX: prefix });
    const msg = await api.waitFor('the failure alert', () => api.sent.find((m) => m.text.includes('failed its last retry')));
    expect(msg.text).toContain(txs[0]);
    api.press({ id: ADMIN }, msg, msg.reply_markup!.inline_keyboard[0]![0]!.callback_data);
    await api.waitFor('the edit', () => api.edits[0]);
    expect((await receiver.waitFor(1))[0]!.json).toMatchObject({ action: 'confirm', transaction_id: txs[0] });
    expect(api.sent).toHaveLength(1);
  });

  it('a failure redelivered before the bot heard of it is not alerted', async () => {
    const { prefix, txs } = await failuresOnApiDaemon(1);
    // Queued again (`webhooks redeliver --all-failed`) while no alert bot was running.
    const cli = captureIO();
    expect(await runWebhooksRedeliverFailed(testConfig({ REDIS_PREFIX: prefix }), cli.io, null)).toBe(0);
    expect(cli.out[0]).toMatch(/^queued 1 failed/);
    const { api, receiver } = await setup({ REDIS_PREFIX: prefix });
    expect((await receiver.waitFor(1))[0]!.json).toMatchObject({ action: 'confirm', transaction_id: txs[0] });
    await sleep(300); // several 50 ms ticks of the bot
    expect(api.sent.filter((m) => m.text.includes('failed its last retry'))).toEqual([]);
  });

  it('many failures at once (the merchant is down) are one summary naming --all-failed', async () => {
    const { prefix, txs } = await failuresOnApiDaemon(5);
    const { api } = await setup({ REDIS_PREFIX: prefix });
    const msg = await api.waitFor('the summary', () => api.sent[0]);
    expect(msg.text).toMatch(/^⚠️ 5 webhooks failed their last retry/);
    for (const id of txs) expect(msg.text).toContain(id);
    expect(msg.text).toContain('paycue webhooks redeliver --all-failed');
    await sleep(300);
    expect(api.sent).toHaveLength(1);
  });

  it('a failed late_payment event: its alert names the credit, and the button sends it again', async () => {
    let up = false;
    const { d, api, receiver } = await setup({ TRANSACTION_TTL: '200ms', WEBHOOK_LATE_PAYMENT: 'true', WEBHOOK_RETRIES: '0' }, (r) =>
      r.json?.action === 'late_payment' && !up ? { status: 500 } : { status: 200, body: '{"ok": true}' });
    const tx = await create(d, 60_000);
    await receiver.waitFor(1); // the cancel
    const out = (await d.call('/sandbox/credit', { body: { amount: 60_000, message_id: 40 } })).body.data;
    const msg = await api.waitFor('the failure alert', () => api.sent.find((m) => m.text.includes('failed its last retry')));
    expect(msg.text).toContain(`late_payment webhook of credit ${out.credit_id}`);
    up = true;
    api.press({ id: ADMIN }, msg, `rd|${out.credit_id}`);
    await api.waitFor('the edit', () => api.edits.find((e) => e.message_id === msg.message_id));
    const late = await waitFor('the late_payment redelivered', async () => receiver.received.filter((h) => h.json?.action === 'late_payment')[1]);
    expect(late.json).toMatchObject({ transaction_id: tx.transaction_id, credit_id: out.credit_id });
  });
});

describe('one alert bot per prefix', () => {
  it('only the process that holds the Telegram watcher runs it: a ROLE=api daemon never polls or sends', async () => {
    const other = await startBotApi(CHAT);
    apis.push(other);
    const { d, api } = await setup();
    // A second daemon on the same prefix, with the same token, that does not watch Telegram.
    const apiOnly = await startTestDaemon(
      {
        SANDBOX: 'false', ROLE: 'api', APP_ID: '12345', APP_HASH: '0123456789abcdef0123456789abcdef', WEBHOOK_URL: 'http://127.0.0.1:9/hook',
        REDIS_PREFIX: d.config.redisPrefix, ALERT_BOT_TOKEN: TOKEN, ALERT_CHAT_ID: String(CHAT), ALERT_API_ROOT: other.url,
      },
      { alertTimings: FAST },
    );
    await apiOnly.processor.processCredit({ amountTiyin: 777_700, last4: '7159', bot: 'humo' }, 'api-role:1');
    await api.waitFor('the alert from the daemon that runs the bot', () => api.sent[0]);
    await sleep(300); // several of the api daemon's 50 ms ticks: it must still be silent
    expect(other.calls).toEqual([]);
    expect(api.sent).toHaveLength(1);
  });
});
