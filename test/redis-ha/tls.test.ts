// TLS (rediss://) in all three modes, against redis-server instances that answer TLS only, with
// a private CA given by REDIS_TLS_CA: the full flow works, and without the CA nothing connects.
import { afterAll, describe, expect, it } from 'vitest';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { startCluster, startSentinelSet, stopTopologies } from '../helpers/topology.js';
import { uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

afterAll(async () => {
  await stopTestDaemons();
  await stopTopologies();
});

/** create → sandbox credit → confirmed, through whatever Redis the daemon was given. */
async function fullFlow(d: TestDaemon): Promise<void> {
  const created = await waitFor('a create to succeed over TLS', async () => {
    const r = await d.call('/create/transaction/', { body: { amount: 4400 } });
    return r.status === 200 ? r.body.data : null;
  });
  const credit = await d.call('/sandbox/credit', { body: { amount: created.amount } });
  expect(credit.body.data).toMatchObject({ matched: true, transaction_id: created.transaction_id });
  expect((await d.call(`/transaction/${created.transaction_id}`)).body.data.state).toBe('confirmed');
}

describe('rediss:// with a private CA', () => {
  it('one node', async () => {
    const set = await startSentinelSet({ tls: true }); // its primary, used as a plain single node
    const d = await startTestDaemon({ REDIS_URL: `rediss://127.0.0.1:${set.primary}`, REDIS_TLS_CA: set.caFile as string, REDIS_PREFIX: uniquePrefix() });
    await fullFlow(d);
    // Without the CA the certificate is not trusted: nothing connects, the API answers 503.
    const untrusting = await startTestDaemon({ REDIS_URL: `rediss://127.0.0.1:${set.primary}`, REDIS_PREFIX: uniquePrefix() });
    expect((await untrusting.call('/create/transaction/', { body: { amount: 4500 } })).status).toBe(503);
  }, 120_000);

  it('Sentinel', async () => {
    const set = await startSentinelSet({ tls: true });
    const d = await startTestDaemon({
      REDIS_URL: 'rediss://127.0.0.1:6379', REDIS_SENTINELS: set.sentinelList, REDIS_SENTINEL_NAME: set.name,
      REDIS_TLS_CA: set.caFile as string, REDIS_PREFIX: uniquePrefix(),
    });
    await fullFlow(d);
  }, 120_000);

  it('Cluster', async () => {
    const cluster = await startCluster({ tls: true });
    const d = await startTestDaemon({
      REDIS_URL: 'rediss://127.0.0.1:6379', REDIS_CLUSTER_NODES: cluster.nodeList, REDIS_TLS_CA: cluster.caFile as string, REDIS_PREFIX: uniquePrefix(),
    });
    await fullFlow(d);
  }, 120_000);
});
