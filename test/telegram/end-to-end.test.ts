// The whole path with Telegram's network replaced by recorded GramJS objects: a bot message
// through GramJS's dispatcher → parser → matching → signed webhook; and credits that arrived
// while the daemon was stopped, matched at start-up.
import { afterEach, describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { _dispatchUpdate } from 'telegram/client/updates.js';
import { humoCreditMessage } from '../../src/bot-messages/compose.js';
import { createLogger } from '../../src/log/logger.js';
import { telegramStarter } from '../../src/daemon/telegram.js';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis, uniquePrefix } from '../helpers/redis.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { APP_HASH, HUMO, RecordedTelegram, privateMessage, removeTempDirs, tempDir } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

const receivers: Receiver[] = [];
afterEach(async () => {
  await stopTestDaemons();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  await closeAllRedis();
  await removeTempDirs();
});

const silent = createLogger({ debug: false, level: 'silent' });

async function telegramDaemon(client: RecordedTelegram, env: Record<string, string>): Promise<TestDaemon> {
  const d = await startTestDaemon({ SANDBOX: 'false', APP_ID: '12345', APP_HASH, ...env }, { startWatcher: telegramStarter({ client }) });
  await d.watcherReady;
  return d;
}

describe('Telegram → paycue → merchant', () => {
  it('a live HUMO credit confirms its transaction and the merchant gets one confirm webhook', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const env = { WEBHOOK_URL: receiver.url, SESSION_DIR: await tempDir(), REDIS_PREFIX: uniquePrefix() };
    const client = new RecordedTelegram(silent);
    client.add(HUMO, privateMessage(HUMO, 100, 'an old notification'));
    const d = await telegramDaemon(client, env);
    expect((await d.call('/ready', { auth: false })).body.data).toMatchObject({ redis: 'up', telegram: 'up', expiry: 'running', watcher: 'held', role: 'all' });

    const tx = (await d.call('/create/transaction/', { body: { amount: 20000 } })).body.data;
    const text = humoCreditMessage(tx.amount_tiyin, '7159');
    const message = privateMessage(HUMO, 101, text, { date: Math.floor(Date.now() / 1000) });
    client.add(HUMO, message);
    await _dispatchUpdate(client, { update: new Api.UpdateNewMessage({ message, pts: 1, ptsCount: 1 }) });
    // The same message again (a reconnect replays it): nothing more happens.
    await _dispatchUpdate(client, { update: new Api.UpdateNewMessage({ message, pts: 2, ptsCount: 1 }) });

    const [hook] = await receiver.waitFor(1);
    expect(hook!.json).toMatchObject({ action: 'confirm', transaction_id: tx.transaction_id, amount: 20000 });
    await waitFor('the webhook to be recorded as delivered', async () => (await d.call(`/transaction/${tx.transaction_id}`)).body.data.webhook.state === 'delivered');
    expect(receiver.received).toHaveLength(1);
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(metrics).toMatch(/^paycue_telegram_connected 1$/m);
    const age = Number(/^paycue_seconds_since_last_bot_message (\S+)$/m.exec(metrics)?.[1]);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(120);
  });

  it('credits that arrived while paycue was stopped are matched when it starts', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const env = { WEBHOOK_URL: receiver.url, SESSION_DIR: await tempDir(), REDIS_PREFIX: uniquePrefix() };
    const client = new RecordedTelegram(silent);
    client.add(HUMO, privateMessage(HUMO, 100, 'an old notification'));
    const first = await telegramDaemon(client, env);
    const a = (await first.call('/create/transaction/', { body: { amount: 5000 } })).body.data;
    const b = (await first.call('/create/transaction/', { body: { amount: 5000 } })).body.data;
    await stopTestDaemons();

    // While paycue is down, both customers pay (b first), and the bank bot says so.
    client.add(HUMO, privateMessage(HUMO, 101, humoCreditMessage(b.amount_tiyin, '7159')));
    client.add(HUMO, privateMessage(HUMO, 102, humoCreditMessage(a.amount_tiyin, '7159')));
    const restarted = new RecordedTelegram(silent);
    for (const [peer, msgs] of client.history) restarted.add(Number(peer), ...msgs);
    const second = await telegramDaemon(restarted, env);
    await receiver.waitFor(2);
    expect(receiver.received.map((r) => [r.json.action, r.json.transaction_id])).toEqual([
      ['confirm', b.transaction_id],
      ['confirm', a.transaction_id],
    ]);
    expect((await second.call(`/transaction/${a.transaction_id}`)).body.data.state).toBe('confirmed');
  });
});

