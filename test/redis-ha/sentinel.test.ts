// A daemon on a real Sentinel set (1 primary, 2 replicas, 3 sentinels): the full sandbox flow,
// then creates and credits through a planned failover and through kill -9 of the primary with
// nothing acknowledged lost, only 503s during the switch, and recovery without a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/log/logger.js';
import { loadScript } from '../../src/redis/scripts.js';
import { StartupError } from '../../src/daemon/startup-error.js';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startSentinelSet, stopTopologies, type SentinelSet } from '../helpers/topology.js';
import { uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { startWorkload, verifyWorkload } from './workload.js';

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
    // Every replica: a write that reached only some could sit on a replica that is re-pointed
    // at the promoted one (a planned failover) and be dropped, so only "all" is acknowledged.
    REDIS_MIN_REPLICAS: '2',
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

  it('warns at start when REDIS_MIN_REPLICAS is below the replicas the primary has', async () => {
    expect(lines.some((l) => l.includes('REDIS_MIN_REPLICAS='))).toBe(false); // 2 of 2: nothing to say
    const own: string[] = [];
    const log = createLogger({
      format: 'json', level: 'info',
      destination: new Writable({ write(chunk: Buffer, _e, done) { own.push(...chunk.toString('utf8').split('\n').filter(Boolean)); done(); } }),
    });
    await startTestDaemon({
      REDIS_URL: 'redis://127.0.0.1:6379', REDIS_SENTINELS: set.sentinelList, REDIS_SENTINEL_NAME: set.name, REDIS_PREFIX: uniquePrefix(), REDIS_MIN_REPLICAS: '1',
    }, { log });
    expect(own.find((l) => l.includes('REDIS_MIN_REPLICAS=1 while the primary has 2 replicas'))).toMatch(/set REDIS_MIN_REPLICAS=2/);
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

  it('loses nothing acknowledged through a planned SENTINEL FAILOVER', async () => {
    const old = await set.currentPrimary();
    const w = startWorkload(d);
    await waitFor('some transactions before the switch', () => w.acked.length >= 20);
    await sentinel((r) => r.call('SENTINEL', 'FAILOVER', set.name));
    await switched(old);
    await writable();
    const before = w.acked.length;
    await waitFor('creates to be acknowledged again', () => w.acked.length >= before + 20, { timeoutMs: 20_000 });
    await w.stop();
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
