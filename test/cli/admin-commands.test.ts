import { captureIO } from '../helpers/cli-io.js';
import { afterAll, describe, expect, it } from 'vitest';
import { runCreditsUnmatched, runWebhooksFailed, runWebhooksRedeliver } from '../../src/cli/admin-commands.js';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';
import { startReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

const io = captureIO;

describe('operator commands', () => {
  it('credits unmatched lists money that confirmed nothing, newest first', async () => {
    const d = await startTestDaemon();
    const empty = io();
    expect(await runCreditsUnmatched(d.config, empty.io, { limit: 10, json: false })).toBe(0);
    expect(empty.out).toEqual([`no unmatched credits (Redis ${new URL(d.config.redisUrl).host}, prefix ${d.config.redisPrefix})`]);
    await d.call('/sandbox/credit', { body: { amount: 777, card: '1234' } });
    await d.call('/sandbox/credit', { body: { amount: 778.5 } });
    const listed = io();
    expect(await runCreditsUnmatched(d.config, listed.io, { limit: 10, json: true })).toBe(0);
    expect(listed.out.map((l) => JSON.parse(l))).toMatchObject([
      { reason: 'no_match', amount_tiyin: 77850, last4: null },
      { reason: 'no_match', amount_tiyin: 77700, last4: '1234' },
    ]);
    const human = io();
    await runCreditsUnmatched(d.config, human.io, { limit: 1, json: false });
    expect(human.out).toHaveLength(1);
    expect(human.out[0]).toMatch(/778\.50 UZS .*no_match/);
  });

  it('webhooks failed / redeliver', async () => {
    let up = false;
    const receiver = await startReceiver(() => (up ? { status: 200, body: '{"ok":true}' } : { status: 503 }));
    try {
      const d = await startTestDaemon({ WEBHOOK_URL: receiver.url, WEBHOOK_RETRIES: '0' });
      const tx = (await d.call('/create/transaction/', { body: { amount: 900 } })).body.data;
      await d.call('/sandbox/credit', { body: { amount: tx.amount } });
      const webhookState = async () => (await d.call(`/transaction/${tx.transaction_id}`)).body.data.webhook.state;
      await waitFor('the webhook to fail', async () => (await webhookState()) === 'failed');
      const failed = io();
      expect(await runWebhooksFailed(d.config, failed.io, { limit: 10, json: true })).toBe(0);
      expect(failed.out.map((l) => JSON.parse(l))).toMatchObject([
        { transaction_id: tx.transaction_id, action: 'confirm', attempts: 1, last_error: 'unexpected response 503' },
      ]);

      up = true;
      const again = io();
      expect(await runWebhooksRedeliver(d.config, again.io, tx.transaction_id)).toBe(0);
      await receiver.waitFor(2);
      expect(receiver.received[1]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id']);
      const pending = io();
      expect(await runWebhooksRedeliver(d.config, pending.io, '00000000-0000-4000-8000-000000000000')).toBe(1);
      expect(pending.err[0]).toMatch(/no transaction/);

      // A delivery that looks under way (here: its queue entry lost) needs --force.
      await receiver.waitFor(2);
      await waitFor('the redelivery to be recorded', async () => (await webhookState()) === 'delivered');
      await d.ctx.redis.hset(d.ctx.keys.tx(tx.transaction_id), 'wh_state', 'pending');
      const busy = io();
      expect(await runWebhooksRedeliver(d.config, busy.io, tx.transaction_id)).toBe(1);
      expect(busy.err[0]).toMatch(/--force/);
      expect(await runWebhooksRedeliver(d.config, io().io, tx.transaction_id, true)).toBe(0);
      await receiver.waitFor(3);

      // Ids are case-insensitive, as in the API; a malformed one is named as such.
      await waitFor('the forced redelivery to be recorded', async () => (await webhookState()) === 'delivered');
      expect(await runWebhooksRedeliver(d.config, io().io, tx.transaction_id.toUpperCase())).toBe(0);
      await receiver.waitFor(4);
      const malformed = io();
      expect(await runWebhooksRedeliver(d.config, malformed.io, 'not-an-id')).toBe(2);
      expect(malformed.err[0]).toMatch(/malformed id "not-an-id": expected a transaction id/);
    } finally {
      await receiver.close();
    }
  });
});
