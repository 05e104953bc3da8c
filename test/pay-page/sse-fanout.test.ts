// 500 customers waiting on 500 transactions at once: each stream gets its own update and no
// other's, the cap answers 503, and the daemon's Redis connections do not grow with streams.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startLocalRedis, type LocalRedis } from '../../src/dev/local-redis.js';
import { connectRedis, createRedis } from '../../src/redis/client.js';
import { openSse, type SseClient } from '../../bench/sse-client.js';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

const N = 500;
let server: LocalRedis;
let admin: Redis;
let d: TestDaemon;

beforeAll(async () => {
  // A Redis of its own, so its client count is this daemon's alone.
  server = await startLocalRedis({ say: () => undefined });
  admin = createRedis({ url: server.url, name: 'test-admin', commandTimeoutMs: 5000 });
  expect(await connectRedis(admin, 5000)).toBe(true);
  d = await startTestDaemon({ REDIS_URL: server.url, PAY_STREAMS_MAX: String(N), PAY_RATE_LIMIT: '0', LIMIT: '1000', CARDS: '7159', PAY_HEARTBEAT: '1s' });
});

afterAll(async () => {
  await stopTestDaemons();
  admin?.disconnect();
  await server?.stop();
});

const clients = async () => (await admin.client('LIST') as string).trim().split('\n').length;

async function inBatches<T>(items: T[], size: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

describe(`${N} SSE clients`, () => {
  it('each gets its own update and no other, the cap holds, Redis connections stay flat', async () => {
    const ids: string[] = [];
    const amounts = new Map<string, number>();
    for (let i = 0; i < N; i++) {
      const r = await d.call('/create/transaction/', { body: { amount: 10_000 + (i % 5) * 1000 } });
      expect(r.status).toBe(200);
      ids.push(r.body.data.transaction_id);
      amounts.set(r.body.data.transaction_id, r.body.data.amount);
    }
    // One stream through a whole payment first, so the daemon's subscriber connection is
    // surely up before counting; the server ends it, releasing its slot before it ends.
    const warmTx = (await d.call('/create/transaction/', { body: { amount: 5 } })).body.data;
    const warm = openSse(`${d.url}/pay/${warmTx.transaction_id}/events`);
    expect(await warm.status).toBe(200);
    await warm.waitForEvents(1, 5000);
    await d.call('/sandbox/credit', { body: { amount: warmTx.amount, card: '7159' } });
    await warm.ended;
    const before = await clients();

    const streams: SseClient[] = ids.map((id) => openSse(`${d.url}/pay/${id}/events`));
    expect(new Set(await Promise.all(streams.map((s) => s.status)))).toEqual(new Set([200]));
    await Promise.all(streams.map((s) => s.waitForEvents(1, 20_000)));
    expect(await clients()).toBe(before);

    // Above the cap: 503, and the page falls back to polling.
    const extra = await fetch(`${d.url}/pay/${ids[0]}/events`);
    expect(extra.status).toBe(503);
    expect(extra.headers.get('retry-after')).toBe('5');
    expect((await d.call(`/pay/${ids[0]}/status`, { auth: false })).status).toBe(200);
    const metrics = (await d.call('/metrics')).body as string;
    expect(metrics).toContain(`paycue_pay_streams_open ${N}`);
    expect(metrics).toContain('paycue_pay_requests_refused_total{reason="streams_cap"} 1');

    await inBatches(ids, 50, async (id) => {
      const r = await d.call('/sandbox/credit', { body: { amount: amounts.get(id), card: '7159' } });
      expect(r.body.data).toEqual({ matched: true, transaction_id: id, credit_id: expect.any(String) });
    });
    await Promise.all(streams.map((s) => s.waitForEvents(2, 20_000)));
    await Promise.all(streams.map((s) => s.ended)); // the stream closes once the transaction is closed

    streams.forEach((s, i) => {
      const got = s.events.map((e) => ({ event: e.event, ...(JSON.parse(e.data) as { transaction_id: string; state: string }) }));
      expect(got.map((g) => [g.event, g.state])).toEqual([['status', 'pending'], ['status', 'paid']]);
      expect(new Set(got.map((g) => g.transaction_id))).toEqual(new Set([ids[i]]));
    });
    expect(await clients()).toBe(before);
    // Every slot was released: a new stream is accepted again.
    await waitFor('stream slots to be released', async () => (await statusOfExtra()) === 200, { timeoutMs: 5000 });
  });
});

describe('an idle stream', () => {
  it('carries heartbeat comments, so proxies keep it open', async () => {
    const tx = (await d.call('/create/transaction/', { body: { amount: 77 } })).body.data;
    const res = await fetch(`${d.url}/pay/${tx.transaction_id}/events`);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes(': ping') && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toContain('\n\n: ping\n\n');
    await d.call(`/transaction/${tx.transaction_id}/cancel`, { method: 'POST' });
  });

  it('still gets its update when the subscriber connection was cut (re-read on reconnect)', async () => {
    const tx = (await d.call('/create/transaction/', { body: { amount: 88 } })).body.data;
    const s = openSse(`${d.url}/pay/${tx.transaction_id}/events`);
    await s.waitForEvents(1, 5000);
    // Cut the daemon's pub/sub connection and confirm at once: the publish is likely lost.
    await admin.client('KILL', 'TYPE', 'pubsub');
    expect((await d.call('/sandbox/credit', { body: { amount: tx.amount, card: '7159' } })).body.data.matched).toBe(true);
    await s.waitForEvents(2, 10_000);
    expect(JSON.parse((s.events[1] as { data: string }).data)).toMatchObject({ transaction_id: tx.transaction_id, state: 'paid' });
    await s.ended;
    // Re-subscribed: a later decision arrives by publish again (no resync happens now).
    const next = (await d.call('/create/transaction/', { body: { amount: 89 } })).body.data;
    const s2 = openSse(`${d.url}/pay/${next.transaction_id}/events`);
    await s2.waitForEvents(1, 5000);
    await d.call('/sandbox/credit', { body: { amount: next.amount, card: '7159' } });
    await s2.waitForEvents(2, 5000);
    expect(JSON.parse((s2.events[1] as { data: string }).data)).toMatchObject({ transaction_id: next.transaction_id, state: 'paid' });
  });
});

/** Opens and drops one more stream; its status says whether a slot was free. */
async function statusOfExtra(): Promise<number> {
  const r = await d.call('/create/transaction/', { body: { amount: 999 } });
  const s = openSse(`${d.url}/pay/${r.body.data.transaction_id}/events`);
  const code = await s.status;
  s.close();
  await d.call(`/transaction/${r.body.data.transaction_id}/cancel`, { method: 'POST' });
  return code;
}
