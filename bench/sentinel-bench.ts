// (h) The price of the failover guarantee: create throughput of a sandbox daemon on one Redis
// node next to one on a Sentinel set (1 primary, 2 replicas, 3 sentinels) with
// REDIS_MIN_REPLICAS=1 and one at the default (every replica), where every acknowledged create also
// waits for replicas (WAIT); then what failovers cost that default daemon (failover-bench.ts). Both
// Redis setups keep AOF with fsync always; the runs interleave (single, sentinel, sentinel,
// single) so drift falls on both alike.
import { randomBytes } from 'node:crypto';
import { parseConfig } from '../src/config/env.js';
import { startDaemon } from '../src/daemon/daemon.js';
import { startLocalRedis } from '../src/dev/local-redis.js';
import { createLogger } from '../src/log/logger.js';
import { startSentinelSet, stopTopologies } from '../test/helpers/topology.js';
import { assertAllOk, startLoadGenerator, type LoadResult } from './http-load.js';
import { benchFailovers, type FailoverFigures } from './failover-bench.js';

export interface SentinelBenchResult {
  connections: number;
  single: LoadResult;
  /** REDIS_MIN_REPLICAS=1. */
  sentinel: LoadResult;
  minReplicas: number;
  /** sentinel rps / single rps. */
  ratio: number;
  /** The default: every replica (2), recorded at first sight. */
  sentinelAll?: LoadResult;
  ratioAll?: number;
  failovers?: FailoverFigures;
}

export async function benchSentinel(
  say: (line: string) => void,
  onStop: (stop: () => Promise<void>) => void,
  opts: { seconds: number; connections: number },
): Promise<SentinelBenchResult> {
  const user = 'bench';
  const password = randomBytes(12).toString('hex');
  const authorization = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  const limit = 1_000_000;
  const base = { API_USERNAME: user, API_PASSWORD: password, SANDBOX: 'true', REDIS_PREFIX: 'paycue-bench', HOST: '127.0.0.1', PORT: '0', LIMIT: String(limit), TRANSACTION_TTL: '24h' };
  const log = createLogger({ debug: false, level: 'silent' });

  const single = await startLocalRedis({ say, persist: true });
  onStop(() => single.stop());
  onStop(() => stopTopologies());
  const set = await startSentinelSet();
  const minReplicas = 1;
  const sentinelEnv = { ...base, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_SENTINELS: set.sentinelList, REDIS_SENTINEL_NAME: set.name };
  const daemons = {
    single: await startDaemon(parseConfig({ ...base, REDIS_URL: single.url }), log),
    sentinel: await startDaemon(parseConfig({ ...sentinelEnv, REDIS_MIN_REPLICAS: String(minReplicas) }), log),
    sentinelAll: await startDaemon(parseConfig({ ...sentinelEnv, REDIS_PREFIX: 'paycue-bench-all' }), log),
  };
  onStop(() => daemons.single.stop(3000));
  onStop(() => daemons.sentinel.stop(3000));
  onStop(() => daemons.sentinelAll.stop(3000));
  const gen = await startLoadGenerator();
  onStop(() => gen.close());

  let nextPrice = 10_000_000;
  const run = async (side: 'single' | 'sentinel' | 'sentinelAll', sec: number, bucket?: string) => {
    const r = await gen.run({
      url: `http://127.0.0.1:${daemons[side].port}/create/transaction/`,
      authorization,
      connections: opts.connections,
      durationSec: sec,
      maxSec: sec + 10,
      body: { kind: 'spread', start: nextPrice, step: limit + 1 },
      ...(bucket ? { bucket } : {}),
    });
    nextPrice += (r.sent + 1) * (limit + 1);
    assertAllOk(`(h) ${side}`, r);
    return r;
  };
  say(`(h) sentinel: warm-up 2 s each, then single/=1/all/all/=1/single ~${opts.seconds / 2} s each at ${opts.connections} connections`);
  await run('single', 2);
  await run('sentinel', 2);
  await run('sentinelAll', 2);
  for (const side of ['single', 'sentinel', 'sentinelAll', 'sentinelAll', 'sentinel', 'single'] as const) {
    const r = await run(side, opts.seconds / 2, side);
    say(`    ${side.padEnd(11)} ${Math.round(r.rps)} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`);
  }
  const merged = { single: await gen.take('single'), sentinel: await gen.take('sentinel'), sentinelAll: await gen.take('sentinelAll') };
  say('(h) failovers under a steady create load on the default (every replica) daemon:');
  const failovers = await benchFailovers(set, { port: daemons.sentinelAll.port, keys: daemons.sentinelAll.ctx.keys }, authorization, say);
  return {
    connections: opts.connections, ...merged, minReplicas, ratio: merged.sentinel.rps / merged.single.rps, ratioAll: merged.sentinelAll.rps / merged.single.rps, failovers,
  };
}
