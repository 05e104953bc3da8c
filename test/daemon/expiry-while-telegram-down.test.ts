// While the bank's messages cannot be read, a transaction's payment may already be waiting in
// the chat: expiry holds back until Telegram is connected again.
import { afterAll, describe, expect, it } from 'vitest';
import type { StartWatcher } from '../../src/daemon/daemon.js';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

describe('expiry and Telegram', () => {
  it('does not expire transactions while Telegram is disconnected, and does once it is back', async () => {
    let connected = false;
    // Each expiry sweep first asks the watcher whether Telegram is connected (nothing else asks
    // here), so this counts the sweeps.
    let statusCalls = 0;
    const startWatcher: StartWatcher = async () => ({
      stop: async () => undefined,
      status: () => {
        statusCalls++;
        return { connected, expiryAllowed: connected, lastBotMessageAt: null };
      },
    });
    const d = await startTestDaemon(
      { SANDBOX: 'false', APP_ID: '12345', APP_HASH: '0123456789abcdef0123456789abcdef', WEBHOOK_URL: 'http://127.0.0.1:9/hook', TRANSACTION_TTL: '500ms' },
      { startWatcher },
    );
    await d.watcherReady;
    const tx = (await d.call('/create/transaction/', { body: { amount: 100 } })).body.data;
    await waitFor('the transaction\'s deadline to pass', () => Date.now() > Date.parse(tx.expires_at));
    // Two sweeps began after the deadline, so the first of them has finished: it did not expire.
    const sweepsBefore = statusCalls;
    await waitFor('a whole sweep after the deadline', () => statusCalls >= sweepsBefore + 2, { timeoutMs: 5000 });
    expect((await d.call(`/transaction/${tx.transaction_id}`)).body.data.state).toBe('pending');

    // The payment that was waiting is read first (catch-up), then expiry resumes for the rest.
    const other = (await d.call('/create/transaction/', { body: { amount: 100 } })).body.data;
    expect((await d.processor.processCredit({ amountTiyin: tx.amount_tiyin, last4: null, bot: 'humo' }, 'caught-up:1')).matched).toBe(true);
    connected = true;
    // Within 2 s, as before: the other transaction's 500 ms are long over, and sweeps run every second.
    await waitFor('the other transaction to expire', async () =>
      (await d.call(`/transaction/${other.transaction_id}`)).body.data.state === 'cancelled', { timeoutMs: 2000 });
    expect((await d.call(`/transaction/${tx.transaction_id}`)).body.data.state).toBe('confirmed');
    expect((await d.call(`/transaction/${other.transaction_id}`)).body.data.state).toBe('cancelled');
  }, 20_000);
});
