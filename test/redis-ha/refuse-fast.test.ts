// Reads never wait behind writes, and writes are refused at once while a replica is missing.
// A real primary with one real replica (no sentinels); REDIS_MIN_REPLICAS=1. The replica is
// SIGSTOPped: still connected, no longer acknowledging — the case where a write is made and its
// WAIT times out. The gate is told to trust INFO for long, so only WAIT itself notices.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { startReplicated, stopTopologies, type ReplicatedSet } from '../helpers/topology.js';
import { waitFor } from '../helpers/wait.js';

let set: ReplicatedSet;
let d: TestDaemon;

beforeAll(async () => {
  set = await startReplicated(1);
  d = await startTestDaemon({ REDIS_URL: set.url, REDIS_MIN_REPLICAS: '1' }, { replicaGate: { maxLagSec: 3600, pollMs: 100 } });
}, 60_000);

afterAll(async () => {
  for (const p of set?.replicas ?? []) set.resume(p);
  await stopTestDaemons();
  await stopTopologies();
});

/** What the prefix holds: transactions, pending deadlines, reserved amounts. */
async function footprint(): Promise<{ txs: number; deadlines: number; keys: number }> {
  const r = d.ctx.redis;
  const keys = (await r.keys(`{${d.config.redisPrefix}}:*`)).filter((k) => !k.endsWith(':ready') && !k.includes(':redis:') && !k.includes(':daemon:'));
  return { txs: await r.zcard(d.ctx.keys.txIndex), deadlines: await r.zcard(d.ctx.keys.deadlines), keys: keys.length };
}

describe('a replica that stops acknowledging (REDIS_MIN_REPLICAS=1)', () => {
  it('reads answer while a write waits; the write made says so; later creates are refused at once and leave nothing; the Idempotency-Key retry gets the same transaction', async () => {
    const first = await d.call('/create/transaction/', { body: { amount: 5000 } });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const a = first.body.data.transaction_id as string;

    const replica = set.replicas[0] as number;
    set.pause(replica);
    const order: string[] = [];
    const pendingCreate = d
      .call('/create/transaction/', { body: { amount: 6000 }, headers: { 'idempotency-key': 'order-b' } })
      .then((r) => (order.push('create'), r));
    // Sent after the create, answered before it: the create's WAIT holds only the write connection.
    const [read, list, ready] = await Promise.all([
      d.call(`/transaction/${a}`).then((r) => (order.push('read'), r)),
      d.call('/transactions').then((r) => (order.push('list'), r)),
      d.call('/ready', { auth: false }).then((r) => (order.push('ready'), r)),
    ]);
    const made = await pendingCreate;
    expect(read.status).toBe(200);
    expect(read.body.data.transaction_id).toBe(a);
    expect(list.status).toBe(200);
    expect(ready.status).not.toBe(500);
    expect(order.indexOf('create'), order.join(',')).toBe(3);
    expect(made.status).toBe(503);
    expect(made.headers.get('retry-after')).toBeTruthy();
    expect(made.body.data.detail).toMatch(/^Redis refuses writes \(NOREPLICAS\): the change was made but only 0 of 1 replicas confirmed it within 0\.7 s, so it is not acknowledged/);

    // The gate is closed now: a create is refused before anything is sent.
    const before = await footprint();
    const refused = await d.call('/create/transaction/', { body: { amount: 7000 } });
    expect(refused.status).toBe(503);
    expect(refused.body.data.detail).toMatch(/^Redis refuses writes \(NOREPLICAS\): .*nothing was written/);
    expect(refused.headers.get('retry-after')).toBe('5');
    const replayWhileDown = await d.call('/create/transaction/', { body: { amount: 6000 }, headers: { 'idempotency-key': 'order-b' } });
    expect(replayWhileDown.status).toBe(503);
    // A bank credit is refused too, deciding nothing.
    const credit = await d.call('/sandbox/credit', { body: { amount: first.body.data.amount, message_id: 'm-while-stalled' } });
    expect(credit.status).toBe(503);
    expect(await footprint()).toEqual(before);
    expect((await d.call(`/transaction/${a}`)).body.data.state).toBe('pending');
    const notReady = await d.call('/ready', { auth: false });
    expect(notReady.status).toBe(503);
    expect(notReady.body.data.redis).toBe('refusing_writes');

    set.resume(replica);
    await waitFor('/ready to answer 200 once the replica acknowledges again', async () => (await d.call('/ready', { auth: false })).status === 200);
    const replay = await d.call('/create/transaction/', { body: { amount: 6000 }, headers: { 'idempotency-key': 'order-b' } });
    expect(replay.status).toBe(200);
    const again = await d.call('/create/transaction/', { body: { amount: 6000 }, headers: { 'idempotency-key': 'order-b' } });
    expect(again.body.data.transaction_id).toBe(replay.body.data.transaction_id);
    // Exactly two transactions exist: the first one and the one made while the replica was stalled.
    const all = await d.call('/transactions');
    expect(all.body.data.items.map((t: { transaction_id: string }) => t.transaction_id).sort()).toEqual([a, replay.body.data.transaction_id].sort());
    // The credit refused earlier goes through now, once.
    const paid = await d.call('/sandbox/credit', { body: { amount: first.body.data.amount, message_id: 'm-while-stalled' } });
    expect(paid.status).toBe(200);
    expect((await d.call(`/transaction/${a}`)).body.data.state).toBe('confirmed');
  });
});
