// The daemon against the test Telegram: GramJS on real sockets to a server that speaks MTProto,
// the session read from SESSION_DIR as in production, no test double between GramJS and the
// network. Live credits, catch-up after a stop and after a cut connection, a stale access hash,
// and messages that must never confirm anything.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { humoCreditMessage } from '../../src/bot-messages/compose.js';
import { telegramStarter } from '../../src/daemon/telegram.js';
import { PEERS_FILE } from '../../src/telegram/session-store.js';
import { Commands } from '../../src/redis/commands.js';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis, uniquePrefix } from '../helpers/redis.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sleep, waitFor, webhooksSettled } from '../helpers/wait.js';
import { HUMO_BOT } from '../mtproto-server/index.js';
import { removeTempDirs } from './helpers.js';
import { closeLiveTelegrams, liveTelegram, type LiveTelegram } from './live.js';

const SECRET = 'whsec_' + Buffer.from('paycue-live-telegram-secret-01234').toString('base64');
const receivers: Receiver[] = [];
afterEach(async () => {
  await stopTestDaemons();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  await closeLiveTelegrams();
  await closeAllRedis();
  await removeTempDirs();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

async function daemon(live: LiveTelegram, env: Record<string, string>): Promise<TestDaemon> {
  const d = await startTestDaemon({ WEBHOOK_URL: 'http://127.0.0.1:9/hook', ...live.env, ...env }, { startWatcher: telegramStarter({ retryBaseMs: 100 }) });
  await d.watcherReady;
  return d;
}

const create = async (d: TestDaemon, amount: number) => (await d.call('/create/transaction/', { body: { amount } })).body.data;
const stateOf = async (d: TestDaemon, id: string) => (await d.call(`/transaction/${id}`)).body.data.state as string;
const cursor = (d: TestDaemon) => Commands.forPrefix(d.ctx.redis, d.config.redisPrefix).cursorGet(HUMO_BOT);
const credit = (tx: { amount_tiyin: number }) => humoCreditMessage(tx.amount_tiyin, '7159');

describe('paycue against the test Telegram', () => {
  it('a live HUMO credit pushed by Telegram confirms its transaction: one confirm webhook, signed', async () => {
    const live = await liveTelegram();
    const hooks = await receiver();
    const d = await daemon(live, { WEBHOOK_URL: hooks.url, WEBHOOK_SECRET: SECRET, REDIS_PREFIX: uniquePrefix() });
    expect((await d.call('/ready', { auth: false })).body.data).toMatchObject({ telegram: 'up', watcher: 'held' });
    const tx = await create(d, 20000);
    const reads = live.tg.count('messages.GetHistory');
    live.tg.botSends(live.merchant, HUMO_BOT, credit(tx));

    const [hook] = await hooks.waitFor(1);
    const verified = new Webhook(SECRET).verify(hook!.body, {
      'webhook-id': String(hook!.headers['webhook-id']),
      'webhook-timestamp': String(hook!.headers['webhook-timestamp']),
      'webhook-signature': String(hook!.headers['webhook-signature']),
    });
    expect(verified).toMatchObject({ action: 'confirm', transaction_id: tx.transaction_id, amount: 20000 });
    expect(await stateOf(d, tx.transaction_id)).toBe('confirmed');
    // Decided from the pushed update itself: no chat read was needed.
    expect(live.tg.count('messages.GetHistory')).toBe(reads);
    await webhooksSettled(d.ctx);
    expect(hooks.received).toHaveLength(1);
  });

  it('credits that arrived while paycue was stopped are matched when it starts again, in order', async () => {
    const live = await liveTelegram();
    const hooks = await receiver();
    const env = { WEBHOOK_URL: hooks.url, REDIS_PREFIX: uniquePrefix() };
    const first = await daemon(live, env);
    const a = await create(first, 5000);
    const b = await create(first, 5000);
    await stopTestDaemons();
    await waitFor('paycue to let go of the connection', () => live.tg.openConnections === 0);

    live.tg.botSends(live.merchant, HUMO_BOT, credit(b));
    live.tg.botSends(live.merchant, HUMO_BOT, credit(a));
    await daemon(live, env);
    await hooks.waitFor(2);
    expect(hooks.received.map((r) => [r.json.action, r.json.transaction_id])).toEqual([
      ['confirm', b.transaction_id],
      ['confirm', a.transaction_id],
    ]);
  });

  it('a credit sent while the connection was cut (push lost) is read from the history once GramJS reconnects', async () => {
    const live = await liveTelegram();
    const d = await daemon(live, { REDIS_PREFIX: uniquePrefix() });
    const tx = await create(d, 7000);
    const reads = live.tg.count('messages.GetHistory');
    // The server freezes and the connection breaks; the credit's push is lost on the way.
    live.tg.stall();
    live.tg.dropConnections();
    live.tg.faults.losePushes = 1;
    live.tg.botSends(live.merchant, HUMO_BOT, credit(tx));
    await waitFor('GramJS to dial again', () => live.tg.openConnections > 0);
    expect(await stateOf(d, tx.transaction_id)).toBe('pending');
    live.tg.resume();
    await waitFor('the payment to confirm', async () => (await stateOf(d, tx.transaction_id)) === 'confirmed');
    expect(live.tg.count('messages.GetHistory')).toBeGreaterThan(reads);
  });

  it('a lost push shows as a gap in pts when the next update arrives: paycue reads the chat and confirms the lost credit', async () => {
    const live = await liveTelegram();
    const d = await daemon(live, { REDIS_PREFIX: uniquePrefix() });
    const tx = await create(d, 8000);
    const reads = live.tg.count('messages.GetHistory');
    live.tg.faults.losePushes = 1;
    live.tg.botSends(live.merchant, HUMO_BOT, credit(tx));
    await waitFor('the lost push', () => live.tg.faults.losePushes === 0);
    expect(await stateOf(d, tx.transaction_id)).toBe('pending');
    live.tg.botSends(live.merchant, HUMO_BOT, 'Balansingiz: 1 000 000,00 UZS');
    await waitFor('the payment to confirm', async () => (await stateOf(d, tx.transaction_id)) === 'confirmed');
    expect(live.tg.count('messages.GetHistory')).toBeGreaterThan(reads);
  });

  it('updatesTooLong from Telegram makes paycue read the chats', async () => {
    const live = await liveTelegram();
    const d = await daemon(live, { REDIS_PREFIX: uniquePrefix() });
    const tx = await create(d, 8500);
    live.tg.faults.losePushes = 1;
    live.tg.botSends(live.merchant, HUMO_BOT, credit(tx));
    live.tg.updatesTooLong(live.merchant);
    await waitFor('the payment to confirm', async () => (await stateOf(d, tx.transaction_id)) === 'confirmed');
  });

  it('a cached access hash Telegram no longer accepts (PEER_ID_INVALID) is resolved again; the waiting payment confirms', async () => {
    const live = await liveTelegram();
    const d = await daemon(live, { REDIS_PREFIX: uniquePrefix() });
    expect(live.tg.count('contacts.ResolveUsername')).toBe(1);
    const tx = await create(d, 9000);
    live.tg.world.rotateAccessHash(live.merchant.id, HUMO_BOT);
    live.tg.faults.losePushes = 1;
    live.tg.botSends(live.merchant, HUMO_BOT, credit(tx));
    live.tg.dropConnections(); // the reconnect read meets the stale hash
    await waitFor('the payment to confirm', async () => (await stateOf(d, tx.transaction_id)) === 'confirmed');
    expect(live.tg.count('contacts.ResolveUsername')).toBe(2);
    const cache = JSON.parse(await readFile(join(live.sessionDir, PEERS_FILE), 'utf8'));
    expect(cache.peers[String(HUMO_BOT)].accessHash).toBe(live.tg.world.accessHash(live.merchant.id, HUMO_BOT).toString());
    expect((await d.call('/ready', { auth: false })).body.data.telegram).toBe('up');
  });

  it('edits, forwards, look-alike bots, strangers and our own messages never confirm; the bot\'s real credit does', async () => {
    const live = await liveTelegram();
    const { tg, merchant } = live;
    const hooks = await receiver();
    const d = await daemon(live, { WEBHOOK_URL: hooks.url, REDIS_PREFIX: uniquePrefix() });
    const target = await create(d, 12000);
    const other = await create(d, 13000);
    const text = credit(target);

    const lookalike = tg.world.addUser({ firstName: 'HUMO Card', username: 'HUMOcardbot_uz', bot: true });
    const stranger = tg.world.addUser({ firstName: 'Stranger' });
    const old = tg.account(merchant.id).chat(HUMO_BOT)[0]!;
    tg.edit(merchant, old.id, text); // the bot edits an old notification into the credit
    tg.botSends(merchant, lookalike.id, text);
    tg.userSends(merchant, stranger.id, text, { shape: 'updates' });
    const real = tg.botSends(merchant, HUMO_BOT, credit(other), { shape: 'updates' });
    tg.forward(merchant, stranger.id, { ...real, text });
    const mine = tg.ownMessage(merchant, HUMO_BOT, text); // typed into the bot chat from the merchant's phone
    // A chat read as well, so the history path sees the same messages.
    tg.dropConnections();

    await hooks.waitFor(1);
    await waitFor('the reconnect read to pass every message', async () => Number(await cursor(d)) >= mine.id);
    await webhooksSettled(d.ctx);
    expect(hooks.received.map((r) => [r.json.action, r.json.transaction_id])).toEqual([['confirm', other.transaction_id]]);
    expect(await stateOf(d, target.transaction_id)).toBe('pending');
  });

  it('Telegram\'s clock (help.getConfig) 60 s ahead: an unpaid transaction is held past its deadline, and cancelled once the clocks agree', async () => {
    const live = await liveTelegram({ clockSkewMs: 60_000 });
    const hooks = await receiver();
    const d = await startTestDaemon(
      { WEBHOOK_URL: hooks.url, ...live.env, REDIS_PREFIX: uniquePrefix(), TRANSACTION_TTL: '300ms' },
      { startWatcher: telegramStarter({ deadlineReadGapMs: 100, retryBaseMs: 100 }), sweepIntervalMs: 20 },
    );
    await d.watcherReady;
    const tx = await create(d, 100);
    const reads = live.tg.count('messages.GetHistory');
    await waitFor('a read after the deadline', () => live.tg.count('messages.GetHistory') > reads + 1);
    expect(await stateOf(d, tx.transaction_id)).toBe('pending');
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(Number(/^paycue_telegram_clock_skew_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(58);
    live.tg.clockSkewMs = 0;
    await waitFor('the transaction to be decided', async () => (await stateOf(d, tx.transaction_id)) !== 'pending', { timeoutMs: 15_000 });
    expect(await stateOf(d, tx.transaction_id)).toBe('cancelled');
  });

  it('GramJS\'s own wake-up `connected` (from its second 9 s ping on), 2 s chat reads, a payment a second before its deadline: confirmed, never cancelled', async () => {
    const live = await liveTelegram();
    const hooks = await receiver();
    live.tg.faults.delay('messages.GetHistory', 2000);
    const d = await startTestDaemon(
      { WEBHOOK_URL: hooks.url, ...live.env, REDIS_PREFIX: uniquePrefix(), TRANSACTION_TTL: '4s' },
      { startWatcher: telegramStarter({ deadlineReadGapMs: 100, retryBaseMs: 100 }), sweepIntervalMs: 20 },
    );
    await d.watcherReady;
    // GramJS pings every 9 s; from the second ping on it takes its "wake-up" path, which emits
    // `connected` with no drop before it. The real ping loop, not a simulation of it.
    await waitFor('GramJS\'s second ping', () => live.tg.stats.pongs >= 2, { timeoutMs: 25_000, intervalMs: 100 });
    const tx = await create(d, 15000);
    await sleep(Math.max(0, Date.parse(tx.expires_at) - 1000 - Date.now()));
    live.tg.botSends(live.merchant, HUMO_BOT, credit(tx));
    await waitFor('the transaction to be decided', async () => (await stateOf(d, tx.transaction_id)) !== 'pending', { timeoutMs: 15_000 });
    expect(await stateOf(d, tx.transaction_id)).toBe('confirmed');
    // Another wake-up and the slow deadline read both pass: still one confirm, no cancel.
    await waitFor('GramJS\'s next ping', () => live.tg.stats.pongs >= 3, { timeoutMs: 15_000, intervalMs: 100 });
    await webhooksSettled(d.ctx);
    expect(hooks.received.map((r) => [r.json.action, r.json.transaction_id])).toEqual([['confirm', tx.transaction_id]]);
  }, 60_000);
});
