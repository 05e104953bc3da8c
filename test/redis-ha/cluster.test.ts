// Two tenants (prefixes) on different masters of a real Redis Cluster (3 masters + 3 replicas):
// both run the full flow, and a planned failover of one tenant's master under load loses
// nothing acknowledged, answers only 503 meanwhile, and heals without a restart; so does a
// kill -9 of the other tenant's master.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { connectedReplicas } from '../../src/redis/server-check.js';
import { StartupError } from '../../src/daemon/startup-error.js';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startCluster, stopTopologies, type ClusterSet } from '../helpers/topology.js';
import { uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { startWorkload, verifyWorkload } from './workload.js';
import { captureIO } from '../helpers/cli-io.js';
import { runRedisSwitchover } from '../../src/cli/redis-commands.js';

let cluster: ClusterSet;
const tenants: { prefix: string; master: number; d: TestDaemon; receiver: Receiver }[] = [];

beforeAll(async () => {
  cluster = await startCluster();
  // Two prefixes whose hash tags land on different masters.
  const seen = new Set<number>();
  while (tenants.length < 2) {
    const prefix = uniquePrefix();
    const master = await cluster.masterOf(`{${prefix}}`);
    if (seen.has(master)) continue;
    seen.add(master);
    const receiver = await startReceiver();
    const d = await startTestDaemon({
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_CLUSTER_NODES: cluster.nodeList,
      REDIS_PREFIX: prefix,
      WEBHOOK_URL: receiver.url,
    });
    tenants.push({ prefix, master, d, receiver });
  }
}, 120_000);

afterAll(async () => {
  await stopTestDaemons();
  await Promise.all(tenants.map((t) => t.receiver.close()));
  await stopTopologies();
});

describe('Cluster', () => {
  it('runs the full flow for two tenants on different masters', async () => {
    expect(tenants[0]!.master).not.toBe(tenants[1]!.master);
    for (const { d, receiver } of tenants) {
      const created = await d.call('/create/transaction/', { body: { amount: 5000 } });
      expect(created.status).toBe(200);
      const tx = created.body.data;
      const credit = await d.call('/sandbox/credit', { body: { amount: tx.amount } });
      expect(credit.body.data).toMatchObject({ matched: true, transaction_id: tx.transaction_id });
      const hooks = await receiver.waitFor(1);
      expect(hooks[0]!.json).toMatchObject({ action: 'confirm', transaction_id: tx.transaction_id });
      expect((await d.call('/ready', { auth: false })).status).toBe(200);
    }
  });

  it('records each shard\'s replicas at first sight (CLUSTER SHARDS) and requires its own shard\'s; switchover points at CLUSTER FAILOVER', async () => {
    const t = tenants[0]!;
    const recorded = await t.d.ctx.commands.replicasRecorded();
    expect(Object.keys(recorded)).toHaveLength(3);
    expect(Object.keys(recorded).every((k) => /^\d+-\d+(,\d+-\d+)*$/.test(k))).toBe(true);
    expect(Object.values(recorded)).toEqual([1, 1, 1]);
    expect(t.d.ctx.commands.requiredReplicas()).toBe(1);
    const out = captureIO();
    expect(await runRedisSwitchover(t.d.config, out.io)).toBe(2);
    expect(out.err[0]).toMatch(/^Redis Cluster: run CLUSTER FAILOVER on a replica of the master to replace .* it is already coordinated/);
  });

  it('REDIS_URL pointed at one Cluster node refuses to start (exit 2), naming REDIS_CLUSTER_NODES', async () => {
    const port = cluster.masters[0] as number;
    const err = await startTestDaemon({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_PREFIX: uniquePrefix() }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as StartupError).exitCode).toBe(2);
    expect((err as StartupError).message).toMatch(/is a Redis Cluster node; set REDIS_CLUSTER_NODES=/);
  });

  it('paycue status reads eviction and persistence from every master, not whichever answers INFO', async () => {
    const t = tenants[0]!;
    const own = await cluster.masterOf(`{${t.prefix}}`);
    const elsewhere = cluster.masters.find((p) => p !== own) as number;
    const r = new Redis({ host: '127.0.0.1', port: elsewhere, lazyConnect: true, maxRetriesPerRequest: 0 });
    await r.connect();
    try {
      expect((await t.d.ctx.commands.serverInfo()).maxmemoryPolicy).toBe('noeviction');
      // The replicas that count are those of the master holding the tenant's slot (one each here).
      expect(await connectedReplicas(t.d.ctx.redis, t.d.ctx.keys.readyProbe)).toBe(1);
      await r.config('SET', 'maxmemory-policy', 'allkeys-lru');
      expect((await t.d.ctx.commands.serverInfo()).maxmemoryPolicy).toBe('allkeys-lru');
    } finally {
      await r.config('SET', 'maxmemory-policy', 'noeviction');
      r.disconnect();
    }
  });

  it('loses nothing acknowledged through a failover of a tenant master under load', async () => {
    const t = tenants[0]!;
    const other = tenants[1]!;
    // Read now, not from beforeAll: on a loaded machine the cluster may have moved a slot since.
    const replica = await cluster.replicaOf(await cluster.masterOf(`{${t.prefix}}`));
    const w = startWorkload(t.d);
    const w2 = startWorkload(other.d, 2);
    await waitFor('some transactions before the switch', () => w.acked.length >= 20);
    // A planned failover: the master pauses, its replica catches up and takes the slots over.
    await cluster.failover(replica, `{${t.prefix}}`);
    await waitFor('/ready to answer 200', async () => (await t.d.call('/ready', { auth: false })).status === 200, { timeoutMs: 20_000 });
    const before = w.acked.length;
    await waitFor('creates to be acknowledged again', () => w.acked.length >= before + 20, { timeoutMs: 20_000 });
    await Promise.all([w.stop(), w2.stop()]);
    await verifyWorkload(t.d, w, t.receiver);
    await verifyWorkload(other.d, w2, other.receiver);
  }, 120_000);

  it('loses nothing acknowledged through kill -9 of a tenant master under load', async () => {
    const t = tenants[1]!;
    const old = await cluster.masterOf(`{${t.prefix}}`);
    const w = startWorkload(t.d);
    await waitFor('some transactions before the kill', () => w.acked.length >= 20);
    cluster.kill(old);
    await waitFor('/ready to answer 503', async () => (await t.d.call('/ready', { auth: false })).status === 503, { timeoutMs: 5_000 });
    await waitFor('the replica to take the tenant slot over', async () => (await cluster.masterOf(`{${t.prefix}}`)) !== old, { timeoutMs: 20_000 });
    // The promoted master has no replica to WAIT for until the dead node is back as one.
    await cluster.revive(old);
    // The write connection, idle while writes were refused, must still find the new master.
    await waitFor('/ready to answer 200', async () => (await t.d.call('/ready', { auth: false })).status === 200, { timeoutMs: 20_000 });
    const before = w.acked.length;
    await waitFor('creates to be acknowledged again', () => w.acked.length >= before + 20, { timeoutMs: 20_000 });
    await w.stop();
    expect(w.statuses.get(503) ?? 0).toBeGreaterThan(0);
    await verifyWorkload(t.d, w, t.receiver);
  }, 120_000);
});
