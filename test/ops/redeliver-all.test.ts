import { captureIO } from '../helpers/cli-io.js';
import { afterAll, describe, expect, it } from 'vitest';
import { runWebhooksRedeliverFailed } from '../../src/cli/admin-commands.js';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis, redisUrl } from '../helpers/redis.js';
import { startReceiver } from '../helpers/receiver.js';
import { runChild } from '../helpers/child.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

const capture = captureIO;

async function webhookState(d: TestDaemon, id: string, want: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await d.call(`/transaction/${id}`)).body.data.webhook.state === want) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`webhook of ${id} never became ${want}`);
}

describe('paycue webhooks redeliver --all-failed', () => {
  it('ok / warn: queues failed deliveries again (only recent ones with --since), skipping expired records', async () => {
    let up = false;
    const receiver = await startReceiver(() => (up ? { status: 200, body: '{"ok":true}' } : { status: 503 }));
    try {
      const d = await startTestDaemon({ WEBHOOK_URL: receiver.url, WEBHOOK_RETRIES: '0' });
      const ids: string[] = [];
      for (const amount of [700, 800, 900]) {
        const tx = (await d.call('/create/transaction/', { body: { amount } })).body.data;
        await d.call('/sandbox/credit', { body: { amount: tx.amount } });
        await webhookState(d, tx.transaction_id, 'failed');
        ids.push(tx.transaction_id);
      }
      const [old, recent, expired] = ids as [string, string, string];
      // One failed three hours ago; one whose record has expired since.
      await d.ctx.redis.zadd(d.ctx.keys.failed, Date.now() - 3 * 3600_000, old);
      await d.ctx.redis.del(d.ctx.keys.tx(expired));
      up = true;

      const recentOnly = capture();
      expect(await runWebhooksRedeliverFailed(d.config, recentOnly.io, 2 * 3600_000)).toBe(0);
      expect(recentOnly.out[0]).toMatch(/^queued 1 failed deliveries since /);
      expect(recentOnly.err).toEqual(['skipped 1: 1 whose records expired, 0 already being delivered']);
      await webhookState(d, recent, 'delivered');
      expect((await d.call(`/transaction/${old}`)).body.data.webhook.state).toBe('failed');

      const all = capture();
      expect(await runWebhooksRedeliverFailed(d.config, all.io, null)).toBe(0);
      expect(all.out[0]).toMatch(/^queued 1 failed deliveries again/);
      await webhookState(d, old, 'delivered');
      const ids4 = receiver.received.map((r) => r.headers['webhook-id']);
      expect(ids4.filter((x) => x === `msg_${old}_confirm`)).toHaveLength(2);

      const none = capture();
      expect(await runWebhooksRedeliverFailed(d.config, none.io, null)).toBe(0);
      expect(none.out[0]).toMatch(/^queued 0 /);
      // A prefix with nothing failed says where it looked.
      const fresh = await startTestDaemon();
      const empty = capture();
      expect(await runWebhooksRedeliverFailed(fresh.config, empty.io, null)).toBe(0);
      expect(empty.out[0]).toMatch(new RegExp(`^no failed deliveries to queue again \\(Redis 127\\.0\\.0\\.1:\\d+, prefix ${fresh.config.redisPrefix}\\)$`));
    } finally {
      await receiver.close();
    }
  });

  it('fail: usage errors exit 2; an unreachable Redis exits 1', async () => {
    const env = { REDIS_URL: redisUrl() };
    for (const args of [['--all-failed', '00000000-0000-4000-8000-000000000000'], [], ['--since', '2h', '00000000-0000-4000-8000-000000000000'], ['--all-failed', '--since', 'soon']]) {
      const c = runChild(['webhooks', 'redeliver', ...args], env);
      expect(await c.exited, args.join(' ')).toBe(2);
      expect(c.output()).toMatch(/error/);
    }
    const c = runChild(['webhooks', 'redeliver', '--all-failed'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(await c.exited).toBe(1);
    expect(c.output()).toMatch(/cannot use Redis at 127\.0\.0\.1:\d+/);
  });
});
