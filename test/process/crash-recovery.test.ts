// The daemon process killed mid-delivery (SIGKILL) or stopped (SIGTERM): the decided event is
// still delivered after a restart, with the same webhook-id.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/local-redis.js';
import { AUTH, PASS, USER } from '../helpers/daemon.js';
import { closeAllRedis, redisUrl, uniquePrefix } from '../helpers/redis.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { runChild, type Child } from '../helpers/child.js';
import { waitFor } from '../helpers/wait.js';

const children: Child[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(closeAllRedis);

async function daemon(env: Record<string, string>, port: number): Promise<Child> {
  const c = runChild([], env);
  children.push(c);
  await waitFor('the daemon to listen', async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, { timeoutMs: 15_000 });
  return c;
}

async function call(port: number, path: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await res.json()) as { status: boolean; data: any };
}

function waitForDelivery(port: number, id: string) {
  return waitFor('the webhook to be delivered after the restart', async () =>
    (await call(port, `/transaction/${id}`)).data.webhook.state === 'delivered', { timeoutMs: 20_000 });
}

/** A daemon child whose first confirm webhook is in flight: the receiver holds it for a minute. */
async function confirmWithSlowReceiver() {
  let slow = true;
  const receiver = await startReceiver(() => (slow ? { status: 200, body: '{"ok":true}', delayMs: 60_000 } : { status: 200, body: '{"ok":true}' }));
  receivers.push(receiver);
  const port = await freePort();
  const env = {
    API_USERNAME: USER, API_PASSWORD: PASS, SANDBOX: 'true', HOST: '127.0.0.1', PORT: String(port),
    REDIS_URL: redisUrl(), REDIS_PREFIX: uniquePrefix(), WEBHOOK_URL: receiver.url, WEBHOOK_TIMEOUT: '2m',
  };
  const first = await daemon(env, port);
  const tx = (await call(port, '/create/transaction/', { amount: 15000 })).data;
  expect((await call(port, '/sandbox/credit', { amount: tx.amount })).data.matched).toBe(true);
  await receiver.waitFor(1);
  return { receiver, port, env, first, tx, answerFast: () => (slow = false) };
}

describe('crash and shutdown during a delivery', () => {
  it('SIGKILL mid-delivery → after restart the event is delivered, same webhook-id, within 15 s', async () => {
    const { receiver, port, env, first, tx, answerFast } = await confirmWithSlowReceiver();
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBe(null);

    answerFast();
    const restartedAt = Date.now();
    await daemon(env, port);
    await waitForDelivery(port, tx.transaction_id);
    const deliveredAfterMs = receiver.received.at(-1)!.at - restartedAt;
    expect(deliveredAfterMs).toBeLessThan(15_000);
    expect(receiver.received.length).toBeGreaterThanOrEqual(2);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([`msg_${tx.transaction_id}_confirm`]));
  }, 60_000);

  it('SIGTERM mid-delivery → exit 0 promptly; the delivery completes after restart', async () => {
    const { receiver, port, env, first, tx, answerFast } = await confirmWithSlowReceiver();
    const stoppingAt = Date.now();
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(Date.now() - stoppingAt).toBeLessThan(10_500);
    expect(first.output()).toMatch(/shutting down/);

    answerFast();
    await daemon(env, port);
    await waitForDelivery(port, tx.transaction_id);
    const t = (await call(port, `/transaction/${tx.transaction_id}`)).data;
    // The interrupted attempt is not counted against the merchant's retries.
    expect(t.webhook.attempts).toBe(1);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
  }, 60_000);
});
