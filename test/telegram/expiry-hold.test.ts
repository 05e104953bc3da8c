// Expiry and the bank's chat, through the real watcher, the real sweeper and a Telegram client
// whose history reads are slow or failing: a transaction whose payment is waiting unread in the
// chat must never be cancelled.
import { afterEach, describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { _dispatchUpdate } from 'telegram/client/updates.js';
import { UpdateConnectionState } from 'telegram/network/index.js';
import { RPCError } from 'telegram/errors/index.js';
import { humoCreditMessage } from '../../src/bot-messages/compose.js';
import { createLogger } from '../../src/log/logger.js';
import { telegramStarter } from '../../src/daemon/telegram.js';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis, uniquePrefix } from '../helpers/redis.js';
import { APP_HASH, HUMO, RecordedTelegram, privateMessage, removeTempDirs, tempDir } from './helpers.js';
import { sleep, waitFor } from '../helpers/wait.js';

afterEach(async () => {
  await stopTestDaemons();
  await closeAllRedis();
  await removeTempDirs();
});

const silent = createLogger({ debug: false, level: 'silent' });

async function daemonWith(client: RecordedTelegram): Promise<TestDaemon> {
  const env = {
    SANDBOX: 'false', APP_ID: '12345', APP_HASH, WEBHOOK_URL: 'http://127.0.0.1:9/hook',
    SESSION_DIR: await tempDir(), REDIS_PREFIX: uniquePrefix(), TRANSACTION_TTL: '1s',
  };
  // retryBaseMs is the watcher's default (2 s): a failed catch-up is retried by itself.
  const d = await startTestDaemon(env, { startWatcher: telegramStarter({ client }), sweepIntervalMs: 50 });
  await d.watcherReady;
  return d;
}

const connection = (client: RecordedTelegram, state: number) =>
  _dispatchUpdate(client, { update: new UpdateConnectionState(state) as unknown as Api.TypeUpdate });

const stateOf = async (d: TestDaemon, id: string): Promise<string> => (await d.call(`/transaction/${id}`)).body.data.state;

/** Waits until the transaction's deadline has passed, with room for several sweeps after it. */
async function pastDeadline(tx: { expires_at: string }): Promise<void> {
  const wait = Date.parse(tx.expires_at) - Date.now() + 500;
  if (wait > 0) await sleep(wait);
}

describe('expiry waits for the bank chat to be read', () => {
  it('after a reconnect, a payment waiting in the chat confirms its transaction even when reading history is slow', async () => {
    const client = new RecordedTelegram(silent);
    client.add(HUMO, privateMessage(HUMO, 100, 'an old notification'));
    const d = await daemonWith(client);
    const tx = (await d.call('/create/transaction/', { body: { amount: 20000 } })).body.data;

    await connection(client, UpdateConnectionState.disconnected);
    // The customer pays while paycue is disconnected: the message waits in the chat.
    client.add(HUMO, privateMessage(HUMO, 101, humoCreditMessage(tx.amount_tiyin, '7159')));
    await pastDeadline(tx);
    expect(await stateOf(d, tx.transaction_id)).toBe('pending');

    // Back online, but reading the history takes 800 ms: the sweeper runs every 50 ms meanwhile.
    client.getMessagesImpl = async () => {
      await sleep(800);
      return undefined;
    };
    await connection(client, UpdateConnectionState.connected);
    await waitFor('the transaction to be decided', async () => (await stateOf(d, tx.transaction_id)) !== 'pending');
    expect(await stateOf(d, tx.transaction_id)).toBe('confirmed');
  }, 20_000);

  it('while history reads fail, nothing expires; once they work the waiting payment confirms', async () => {
    const client = new RecordedTelegram(silent);
    client.add(HUMO, privateMessage(HUMO, 100, 'an old notification'));
    const d = await daemonWith(client);
    const tx = (await d.call('/create/transaction/', { body: { amount: 30000 } })).body.data;

    let failing = true;
    client.getMessagesImpl = async () => {
      if (failing) throw new RPCError('FLOOD_WAIT_3', new Api.messages.GetHistory({}), 420);
      return undefined;
    };
    // A live credit arrives, but the catch-up that would process it fails.
    const message = privateMessage(HUMO, 101, humoCreditMessage(tx.amount_tiyin, '7159'));
    client.add(HUMO, message);
    await _dispatchUpdate(client, { update: new Api.UpdateNewMessage({ message, pts: 1, ptsCount: 1 }) });
    await waitFor('a catch-up read', () => client.getMessagesCalls.length >= 1);
    await pastDeadline(tx);
    expect(await stateOf(d, tx.transaction_id)).toBe('pending');
    // Telegram is connected, yet expiry is held: /ready shows it without failing the API.
    const ready = await d.call('/ready', { auth: false });
    expect(ready.status).toBe(200);
    expect(ready.body.data).toEqual({ redis: 'up', telegram: 'up', expiry: 'held', watcher: 'held', role: 'all' });

    failing = false; // the watcher retries the catch-up by itself
    await waitFor('the transaction to be decided', async () => (await stateOf(d, tx.transaction_id)) !== 'pending');
    expect(await stateOf(d, tx.transaction_id)).toBe('confirmed');
  }, 20_000);
});
