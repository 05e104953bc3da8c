// A daemon on a real Sentinel set (1 primary, 2 replicas, 3 sentinels): the full sandbox flow,
// then creates and credits through a planned failover and through kill -9 of the primary with
// nothing acknowledged lost, only 503s during the switch, and recovery without a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/log/logger.js';
import { loadScript } from '../../src/redis/scripts.js';
import { connectRedis, createRedis } from '../../src/redis/client.js';
import { StartupError } from '../../src/daemon/startup-error.js';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startSentinelSet, stopTopologies, type SentinelSet } from '../helpers/topology.js';
import { uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { startWorkload, unavailableMs, verifyWorkload } from './workload.js';
import { captureIO } from '../helpers/cli-io.js';
import { runDoctor } from '../../src/cli/doctor-command.js';
import { runRedisReplicas, runRedisReplicasSet } from '../../src/cli/redis-commands.js';

let set: SentinelSet;
let receiver: Receiver;
let d: TestDaemon;
// Every log line of the daemon, for the check that none holds Lua source or metadata.
const lines: string[] = [];
const MARKER = `meta-marker-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  set = await startSentinelSet();
  receiver = await startReceiver();
  d = await startTestDaemon({
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_SENTINELS: set.sentinelList,
    REDIS_SENTINEL_NAME: set.name,
    REDIS_PREFIX: uniquePrefix(),
    // REDIS_MIN_REPLICAS unset: the default is the 2 replicas recorded at first sight (every
    // replica: a write that reached only some could sit on a replica that is re-pointed at the
    // promoted one and be dropped, so only "all" is acknowledged).
    WEBHOOK_URL: receiver.url,
  }, {
    log: createLogger({
      format: 'json',
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
          done();
        },
      }),
    }),
  });
}, 120_000);

afterAll(async () => {
  if (process.env.HA_DUMP) (await import('node:fs')).writeFileSync(process.env.HA_DUMP, lines.join('\n'));
  await stopTestDaemons();
  await receiver?.close();
  await stopTopologies();
});

async function sentinel(fn: (r: Redis) => Promise<unknown>): Promise<unknown> {
  const r = new Redis({ host: '127.0.0.1', port: set.sentinels[0] as number, lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** Waits for the sentinels to name a primary other than `old`, and for the daemon to write to it. */
async function switched(old: number): Promise<void> {
  await waitFor('the sentinels to promote a replica', async () => (await set.currentPrimary()) !== old, { timeoutMs: 20_000 });
}

async function writable(): Promise<void> {
  // Generous: on two shared cores the sentinels (down-after 1 s) may fail over once more.
  await waitFor('/ready to answer 200 on the new primary', async () => (await d.call('/ready', { auth: false })).status === 200, { timeoutMs: 30_000 });
}

describe('Sentinel', () => {
  it('REDIS_URL pointed at a sentinel refuses to start (exit 2), naming REDIS_SENTINELS', async () => {
    const port = set.sentinels[0] as number;
    const err = await startTestDaemon({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_PREFIX: uniquePrefix() }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as StartupError).exitCode).toBe(2);
    expect((err as StartupError).message).toMatch(new RegExp(`^REDIS_URL: 127\\.0\\.0\\.1:${port} is a Redis Sentinel.*REDIS_SENTINELS=`));
  });

  it('records the replicas at first sight and requires all of them by default', async () => {
    const recorded = lines.find((l) => l.includes('recorded 2 replicas for this deployment at first sight'));
    expect(recorded).toMatch(/the sentinels list 2, 2 connected to the primary/);
    expect(lines.find((l) => l.includes('"msg":"paycue is running"'))).toMatch(/"min_replicas":2,"min_replicas_source":"recorded"/);
    expect(await d.ctx.commands.replicasRecorded()).toEqual({ primary: 2 });
    expect(d.ctx.commands.requiredReplicas()).toBe(2);
  });

  it('warns at start when REDIS_MIN_REPLICAS is below the recorded replicas, naming the loss it permits', async () => {
    expect(lines.some((l) => l.includes('REDIS_MIN_REPLICAS='))).toBe(false); // unset: nothing to say
    const own: string[] = [];
    const log = createLogger({
      format: 'json', level: 'info',
      destination: new Writable({ write(chunk: Buffer, _e, done) { own.push(...chunk.toString('utf8').split('\n').filter(Boolean)); done(); } }),
    });
    await startTestDaemon({
      REDIS_URL: 'redis://127.0.0.1:6379', REDIS_SENTINELS: set.sentinelList, REDIS_SENTINEL_NAME: set.name, REDIS_PREFIX: uniquePrefix(), REDIS_MIN_REPLICAS: '1',
    }, { log });
    const warning = own.find((l) => l.includes('REDIS_MIN_REPLICAS=1 is below the 2 replicas recorded for this deployment'));
    expect(warning).toMatch(/"level":"warn"/);
    expect(warning).toMatch(/an unplanned failover \(the primary killed\) can lose it — a create whose amount is then handed to a second order, a confirm undone after its webhook was delivered; planned failovers through `paycue redis switchover` lose nothing/);
  });

  it('a connection whose reconnect the failover detector cuts short comes back (ioredis would end it for good)', async () => {
    const target = { mode: 'sentinel' as const, sentinels: set.sentinels.map((port) => ({ host: '127.0.0.1', port })), name: set.name, db: 0, tls: false };
    const r = createRedis({ target, name: 'paycue-test-revive' });
    r.on('error', () => undefined);
    expect(await connectRedis(r, 5000)).toBe(true);
    const ended = new Promise((resolve) => r.once('end', resolve));
    // What +switch-master does to a client that is reconnecting: its connector is told to stop.
    r.once('connecting', () => setImmediate(() => (r as unknown as { connector: { disconnect(): void } }).connector.disconnect()));
    r.disconnect(true);
    await ended;
    await waitFor('the connection to be ready again', () => r.status === 'ready');
    expect(await r.ping()).toBe('PONG');
    r.disconnect();
    await waitFor('a connection closed on purpose to stay closed', () => r.status === 'end');
  });

  it('doctor says what a failover nobody coordinated would lose with these settings', async () => {
    const env = {
      REDIS_URL: 'redis://127.0.0.1:6379', REDIS_SENTINELS: set.sentinelList, REDIS_SENTINEL_NAME: set.name, REDIS_PREFIX: d.config.redisPrefix,
      SANDBOX: 'true', API_USERNAME: 'shop', API_PASSWORD: 'a-long-enough-password',
    };
    const failover = async (extra: Record<string, string>) => {
      const out = captureIO();
      await runDoctor({ ...env, ...extra }, out.io, { telegram: { host: '127.0.0.1', port: 1 }, timeoutMs: 500 });
      return out.out.join('\n').split('\n').filter((l, i, all) => l.includes('redis failover') || all[i - 1]?.includes('redis failover')).join('\n');
    };
    expect(await failover({})).toMatch(/^ok {4}redis failover: every write waits for all 2 replicas the sentinels know, 3 sentinels \(quorum 2\): a failover nobody coordinated loses nothing acknowledged/);
    const lowered = await failover({ REDIS_MIN_REPLICAS: '1' });
    expect(lowered).toMatch(/^warn {2}redis failover: every write waits for 1 of the 2 replicas the sentinels know: a failover nobody coordinated — a bare SENTINEL FAILOVER, or one the sentinels start on their own after 1000 ms without an answer — can lose a write/);
    expect(lowered).toMatch(/fix: unset REDIS_MIN_REPLICAS so that writes wait for all 2, and plan failovers with `paycue redis switchover`, never a bare SENTINEL FAILOVER$/);
  });

  it('runs the full sandbox flow through the sentinels', async () => {
    const created = await d.call('/create/transaction/', { body: { amount: 5000, metadata: { order: MARKER } } });
    expect(created.status).toBe(200);
    const tx = created.body.data;
    const credit = await d.call('/sandbox/credit', { body: { amount: tx.amount } });
    expect(credit.status).toBe(200);
    expect(credit.body.data.matched).toBe(true);
    const hooks = await receiver.waitFor(1);
    expect(hooks[0]!.json).toMatchObject({ action: 'confirm', transaction_id: tx.transaction_id });
    expect((await d.call('/ready', { auth: false })).status).toBe(200);
  });

  it('a replica down at default: reads keep answering, creates are refused at once leaving nothing, the count changes only by the audited command', async () => {
    const paid = await d.call('/create/transaction/', { body: { amount: 8000 } });
    expect(paid.status).toBe(200);
    const id = paid.body.data.transaction_id as string;
    const replica = set.replicas[1] as number;
    set.kill(replica);
    await waitFor('/ready to say writes are refused', async () => (await d.call('/ready', { auth: false })).body.data.redis === 'refusing_writes');
    const footprint = async () => [await d.ctx.redis.zcard(d.ctx.keys.txIndex), await d.ctx.redis.zcard(d.ctx.keys.deadlines), await d.ctx.redis.xlen(d.ctx.keys.events)];
    const before = await footprint();
    const readMs: number[] = [];
    const createMs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const [create, read, list] = await Promise.all([
        d.call('/create/transaction/', { body: { amount: 9000 + i } }).then((r) => (createMs.push(performance.now() - t0), r)),
        d.call(`/transaction/${id}`).then((r) => (readMs.push(performance.now() - t0), r)),
        d.call('/transactions?limit=5'),
      ]);
      expect(create.status).toBe(503);
      expect(create.body.data.detail).toBe('Redis refuses writes (NOREPLICAS): 1 of the 2 replicas paycue requires is connected; nothing was written, try again later');
      expect(read.status).toBe(200);
      expect(list.status).toBe(200);
    }
    // A bank credit decides nothing either (the bank's message is read again later).
    expect((await d.call('/sandbox/credit', { body: { amount: paid.body.data.amount, message_id: `down-${id}` } })).status).toBe(503);
    expect(await footprint()).toEqual(before);
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!.toFixed(1);
    console.log(`[sentinel] replica down: refused create median ${median(createMs)} ms, read median ${median(readMs)} ms (WAIT timeout 700 ms)`);

    // The record stays at 2 while a replica is down: only the audited command lowers it.
    const shown = captureIO();
    await runRedisReplicas(d.config, shown.io, { json: false });
    expect(shown.out).toContain('recorded   2 replicas');
    expect(shown.out.find((l) => l.startsWith('connected'))).toBe('connected  1 — fewer than required: writes are refused (503)');
    const lowered = captureIO();
    expect(await runRedisReplicasSet(d.config, lowered.io, 1, 'redis-3 is being rebuilt')).toBe(0);
    expect(lowered.out[0]).toBe('replicas for primary: 2 → 1 (audited); running daemons apply it within 5 s');
    await waitFor('creates to be accepted with 1 replica required', async () => (await d.call('/create/transaction/', { body: { amount: 9500 } })).status === 200, { timeoutMs: 20_000 });
    expect((await d.call('/sandbox/credit', { body: { amount: paid.body.data.amount, message_id: `down-${id}` } })).status).toBe(200);
    await set.revive(replica, await set.currentPrimary());
    expect(await runRedisReplicasSet(d.config, captureIO().io, 2, 'redis-3 is back')).toBe(0);
    // The daemon reads the record again within a few seconds: the failover tests below need all 2.
    await waitFor('the daemon to require 2 replicas again', () => d.ctx.commands.requiredReplicas() === 2, { timeoutMs: 20_000 });
    await writable();
    const audit = captureIO();
    await runRedisReplicas(d.config, audit.io, { json: false });
    const changes = audit.out.slice(audit.out.indexOf('changes:') + 1);
    expect(changes).toHaveLength(3);
    expect(changes[0]).toMatch(/ daemon:.* record primary: 2 {2}\(first sight of the deployment: the sentinels list 2, 2 connected to the primary\)$/);
    expect(changes[1]).toMatch(/ cli:.* set primary: 2 → 1 {2}\(redis-3 is being rebuilt\)$/);
    expect(changes[2]).toMatch(/ cli:.* set primary: 1 → 2 {2}\(redis-3 is back\)$/);
  }, 120_000);

  it('loses nothing acknowledged through a planned SENTINEL FAILOVER', async () => {
    const old = await set.currentPrimary();
    const w = startWorkload(d);
    await waitFor('some transactions before the switch', () => w.acked.length >= 20);
    const from = performance.now();
    await sentinel((r) => r.call('SENTINEL', 'FAILOVER', set.name));
    await switched(old);
    await writable();
    const before = w.acked.length;
    await waitFor('creates to be acknowledged again', () => w.acked.length >= before + 20, { timeoutMs: 20_000 });
    await w.stop();
    console.log(`[sentinel] bare SENTINEL FAILOVER at the default (2 of 2): creates unavailable ${unavailableMs(w, from, performance.now()).toFixed(0)} ms`);
    await verifyWorkload(d, w, receiver);
  }, 120_000);

  it('loses nothing acknowledged through kill -9 of the primary, and /ready says 503 meanwhile', async () => {
    const old = await set.currentPrimary();
    const w = startWorkload(d);
    await waitFor('some transactions before the kill', () => w.acked.length >= 20);
    set.kill(old);
    // No master is writable until the sentinels promote a replica (down-after is 1 s).
    await waitFor('/ready to answer 503', async () => (await d.call('/ready', { auth: false })).status === 503, { timeoutMs: 5_000 });
    await switched(old);
    // Until the dead node is back as a replica, fewer than REDIS_MIN_REPLICAS have each write.
    await set.revive(old, await set.currentPrimary());
    await writable();
    const before = w.acked.length;
    await waitFor('creates to be acknowledged again', () => w.acked.length >= before + 20, { timeoutMs: 20_000 });
    await w.stop();
    expect(w.statuses.get(503) ?? 0).toBeGreaterThan(0);
    await verifyWorkload(d, w, receiver);
  }, 120_000);

  it('logs no Lua source and no metadata, even when a script call fails', async () => {
    await writable();
    // A wrong-typed key under the prefix makes the reserve script fail once, on purpose.
    await d.ctx.redis.set(d.ctx.keys.deadlines, 'not a sorted set');
    const failed = await d.call('/create/transaction/', { body: { amount: 7000, metadata: { order: MARKER } } });
    await d.ctx.redis.del(d.ctx.keys.deadlines);
    expect(failed.status).toBe(500);
    // The sweeper may hit the wrong-typed key too (its own warning): look for the script's line.
    const failure = lines.find((l) => l.includes('WRONGTYPE') && l.includes('"script":"reserve"'));
    expect(failure, 'the failed script call is logged, with the script named').toBeDefined();
    const lua = loadScript('reserve').split('\n').map((l) => l.trim()).filter((l) => l.length > 25 && !l.startsWith('--'));
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      expect(line).not.toContain(MARKER);
      expect(line).not.toMatch(/redis\.call\(|KEYS\[|ARGV\[/);
      for (const l of lua.slice(0, 20)) expect(line).not.toContain(l);
    }
  });
});
