// `npm run bench`: every number in one run against private redis-servers on 127.0.0.1, then a
// table on stdout, bench-results/latest.json and bench-results/latest.md.
//   BENCH_ONLY=a,b,c,d,e,f,g,h run a subset ((b) needs (a); (f) is the pay page, (g) the transaction
//     list, (h) create throughput on Sentinel with REDIS_MIN_REPLICAS=1 next to one node)
//   BENCH_SECONDS=10       measured seconds per side of each HTTP comparison
// Process layout: this process runs the daemon and the bare baselines; autocannon and the
// webhook receiver each run in a child process; redis-server is its own process.
import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, type Config } from '../src/config/env.js';
import { startDaemon } from '../src/daemon/daemon.js';
import { createLogger } from '../src/log/logger.js';
import { connectRedis, createRedis } from '../src/redis/client.js';
import { startLocalRedis } from '../src/dev/local-redis.js';
import { createTransaction } from '../src/transactions/create.js';
import { MAX_SOM } from '../src/money/amount.js';
import type { TxContext } from '../src/transactions/context.js';
import { startBareServer } from './bare-server.js';
import { addCpu, startCpuMeter, type CpuReport } from './cpu.js';
import { assertAllOk, perRequest, startLoadGenerator, type LoadGenerator, type LoadResult } from './http-load.js';
import { startLatencyClient } from './latency.js';
import { describeMachine, machineLine } from './machine.js';
import { measureMemory } from './memory.js';
import { benchParser } from './parser-bench.js';
import { benchPayPage } from './pay-page.js';
import { benchList } from './list-bench.js';
import { benchSentinel } from './sentinel-bench.js';
import { textTable, writeReport, type BenchReport, type Side } from './report.js';

// The repository root, from .bench-build/bench/run.js.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'fixtures', 'bot-messages.json');
const OUT_DIR = join(ROOT, 'bench-results');

const only = new Set((process.env.BENCH_ONLY ?? 'a,b,c,d,e,f,g,h').split(',').map((s) => s.trim().toLowerCase()));
const phaseSec = Number(process.env.BENCH_SECONDS ?? 10);
if (!(phaseSec >= 2 && phaseSec <= 60)) throw new Error(`BENCH_SECONDS must be between 2 and 60, got ${process.env.BENCH_SECONDS}`);

const S = {
  connections: 32,
  warmupSec: 2,
  phaseSec,
  /** (a): every request a new price, LIMIT + 1 so'm apart, so no create ever meets another
   * price's offsets: each takes offset 0 of an empty range (prices stay below MAX_SOM). */
  spreadStart: 10_000_000,
  /** (b): one price below (a)'s prices, its offset range clear of them and of (c)'s. */
  samePrice: 1_000_000,
  samePriceTaken: 1000,
  /** LIMIT (the largest allowed) ≥ 1000 taken + every (b) request: each (b) segment is capped at
   * its share of what is left. The same daemon serves (a), where LIMIT plays no part. */
  limit: 1_000_000,
  ttl: '24h',
  card: '7159',
  latency: { warmupConcurrent: 300, warmupSequential: 30, sequential: 300, concurrency: 32, concurrentSamples: 1000, startAmount: 3_000_000 },
  memoryTransactions: 10_000,
  listRecords: 100_000,
  listIterations: 200,
  targets: { createRatio: 0.7, samePriceRatio: 0.8, webhookP50Ms: 5, bytesPerTx: 1024 },
};

const say = (line: string) => process.stderr.write(`${line}\n`);

// Everything started is stopped in reverse order, whatever happens; stopping twice is harmless.
const cleanups: (() => Promise<void>)[] = [];
async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    await (cleanups.pop() as () => Promise<void>)().catch((err) => say(`cleanup: ${(err as Error).message}`));
  }
}
let interrupted = false;
const abort = (code: number) => {
  interrupted = true;
  void cleanUp().finally(() => process.exit(code));
};
// A throw from a library callback must not leave redis-server and the client processes behind.
process.once('uncaughtException', (err) => {
  say(`bench crashed: ${err.stack ?? String(err)}`);
  abort(1);
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    say(`\n${sig}: stopping`);
    abort(130);
  });
}

function daemonConfig(redisUrl: string, webhookUrl: string, user: string, password: string): Config {
  return parseConfig({
    API_USERNAME: user,
    API_PASSWORD: password,
    SANDBOX: 'true',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: 'paycue-bench',
    HOST: '127.0.0.1',
    PORT: '0',
    CARDS: S.card,
    LIMIT: String(S.limit),
    TRANSACTION_TTL: S.ttl,
    WEBHOOK_URL: webhookUrl,
    WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
  });
}

type Segment = NonNullable<BenchReport['create']>['segments'][number];

/** Takes `n` offsets of the (b) price through the engine, as earlier customers would have. */
async function takeOffsets(ctx: TxContext, n: number): Promise<number> {
  let made = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (made < n) {
        made++;
        const r = await createTransaction(ctx, { amountSom: S.samePrice });
        if (r.kind !== 'created') throw new Error(`pre-create returned ${r.kind}`);
      }
    }),
  );
  return ctx.redis.zcount(ctx.keys.amounts(S.card), S.samePrice * 100, (S.samePrice + S.limit) * 100);
}

/**
 * (a) and (b) in one interleaved sequence, each segment half a phase:
 *   bare, ping, paycue, [same, same,] paycue, ping, bare
 * so drift and other tenants' bursts fall on every side alike. `ping` is the bare endpoint plus
 * one Redis PING; `same` is paycue with every request at the one price that had 1,000 offsets
 * taken, with a request cap so LIMIT is never reached.
 */
async function createComparison(
  report: BenchReport,
  gen: LoadGenerator,
  urls: Record<'bare' | 'ping' | 'paycue', string>,
  authorization: string,
  ctx: TxContext,
  spread: (url: string, sec: number, label: string, bucket?: string) => Promise<LoadResult>,
): Promise<void> {
  const half = S.phaseSec / 2;
  const withB = only.has('b');
  const order: Side[] = withB
    ? ['bare', 'ping', 'paycue', 'same', 'same', 'paycue', 'ping', 'bare']
    : ['bare', 'ping', 'paycue', 'paycue', 'ping', 'bare'];
  say(`(a)${withB ? '+(b)' : ''} warm-up ${S.warmupSec} s each, then ${order.join('/')} ~${half} s each at ${S.connections} connections`);
  for (const side of ['bare', 'ping', 'paycue'] as const) await spread(urls[side], S.warmupSec, `${side} warm-up`);
  let takenBefore = 0;
  let budget = S.limit - S.samePriceTaken - 1;
  if (withB) {
    say(`    taking ${S.samePriceTaken} offsets of ${S.samePrice} so'm (LIMIT ${S.limit})`);
    takenBefore = await takeOffsets(ctx, S.samePriceTaken);
    if (takenBefore !== S.samePriceTaken) throw new Error(`expected ${S.samePriceTaken} offsets taken, found ${takenBefore}`);
  }

  const cpu: Partial<Record<Side, CpuReport>> = {};
  const segments: Segment[] = [];
  let sameLeft = order.filter((x) => x === 'same').length;
  for (const side of order) {
    const meter = await startCpuMeter(side === 'bare' ? undefined : ctx.redis as Redis);
    let r: LoadResult;
    if (side === 'same') {
      // Bounded by time like every other segment, with a request cap far above what the time
      // allows, so LIMIT can never be reached. (A bound by `amount` would split the count over
      // the 32 connections; those that finish early leave fewer in flight, which measured
      // 10-15 % below the same load bounded by time.)
      const cap = Math.floor(budget / sameLeft);
      sameLeft--;
      r = await gen.run({
        url: urls.paycue,
        authorization,
        connections: S.connections,
        durationSec: half,
        maxOverallRequests: cap,
        maxSec: half + 10,
        body: { kind: 'fixed', amount: S.samePrice },
        bucket: side,
      });
      budget -= r.sent;
      assertAllOk('(b) one price', r);
      if (r.sent >= cap - S.connections) report.errors.push(`(b) a segment reached its request cap (${cap}); its rate is understated: raise LIMIT`);
    } else {
      r = await spread(urls[side], half, `(a) ${side}`, side);
    }
    const c = await meter.stop();
    cpu[side] = addCpu(cpu[side], c);
    const serverUs = Math.round((c.serverMs * 1000) / r.ok);
    segments.push({ side, rps: Math.round(r.rps), serverUsPerRequest: serverUs, machineBusyPct: c.machineBusyPct, stealPct: c.stealPct });
    say(`    ${side.padEnd(6)} ${Math.round(r.rps)} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, server ${serverUs} µs CPU/req`);
  }

  const measured = async (side: Side) => perRequest(await gen.take(side), cpu[side] as CpuReport);
  const bare = await measured('bare');
  const ping = await measured('ping');
  const paycue = await measured('paycue');
  const ratio = paycue.load.rps / bare.load.rps;
  report.create = {
    bare,
    ping,
    paycue,
    segments,
    pingRatio: ping.load.rps / bare.load.rps,
    ratio: { value: ratio, target: `≥ ${S.targets.createRatio}`, pass: ratio >= S.targets.createRatio },
  };
  if (withB) {
    const same = await measured('same');
    const takenAfter = await ctx.redis.zcount(ctx.keys.amounts(S.card), S.samePrice * 100, (S.samePrice + S.limit) * 100);
    const bRatio = same.load.rps / paycue.load.rps;
    report.samePrice = {
      price: S.samePrice,
      takenBefore,
      takenAfter,
      limit: S.limit,
      result: same,
      ratio: { value: bRatio, target: `≥ ${S.targets.samePriceRatio} × (a)`, pass: bRatio >= S.targets.samePriceRatio },
    };
  }
}

/** (a), (b) and (c): one private Redis, one sandbox daemon, the two bare servers, two client processes. */
async function httpPhases(report: BenchReport): Promise<void> {
  const user = 'bench';
  const password = randomBytes(12).toString('hex');
  const authorization = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

  const redis = await startLocalRedis({ say });
  cleanups.push(() => redis.stop());
  const latencyClient = await startLatencyClient();
  cleanups.push(() => latencyClient.close());
  const daemon = await startDaemon(daemonConfig(redis.url, latencyClient.receiverUrl, user, password), createLogger({ debug: false, level: 'silent' }));
  cleanups.push(() => daemon.stop(3000));
  const pingRedis = createRedis({ url: redis.url, name: 'paycue-bench-ping' });
  cleanups.push(async () => pingRedis.disconnect());
  if (!(await connectRedis(pingRedis, 3000))) throw new Error('private redis-server is not reachable');
  const bare = await startBareServer(user, password);
  cleanups.push(() => bare.close());
  const ping = await startBareServer(user, password, pingRedis);
  cleanups.push(() => ping.close());
  const gen = await startLoadGenerator();
  cleanups.push(() => gen.close());
  say(
    `private redis-server :${redis.port}; paycue :${daemon.port}; bare :${bare.port}; bare+PING :${ping.port}; ` +
      `autocannon pid ${gen.pid}; receiver pid ${latencyClient.pid}`,
  );

  const url = (port: number) => `http://127.0.0.1:${port}/create/transaction/`;
  let nextPrice = S.spreadStart;
  const paycueUrl = url(daemon.port);
  const spread = async (target: string, sec: number, label: string, bucket?: string): Promise<LoadResult> => {
    const r = await gen.run({
      url: target,
      authorization,
      connections: S.connections,
      durationSec: sec,
      maxSec: sec + 10,
      body: { kind: 'spread', start: nextPrice, step: S.limit + 1 },
      ...(bucket ? { bucket } : {}),
    });
    // Only paycue reserves amounts: the bare servers store nothing, so their runs may reuse prices
    // (on a fast machine, every side's requests together would run past MAX_SOM).
    if (target === paycueUrl) nextPrice += (r.sent + 1) * (S.limit + 1);
    if (nextPrice > MAX_SOM) throw new Error('ran out of distinct prices below MAX_SOM: lower BENCH_SECONDS');
    assertAllOk(label, r);
    return r;
  };

  if (only.has('a') || only.has('b')) {
    const urls = { bare: url(bare.port), ping: url(ping.port), paycue: url(daemon.port) };
    await createComparison(report, gen, urls, authorization, daemon.ctx, spread);
  }

  if (only.has('c')) {
    const L = S.latency;
    say(`(c) credit → webhook: warm-up, then ${L.sequential} sequential and ${L.concurrentSamples} at concurrency ${L.concurrency}`);
    const r = await latencyClient.run(
      { baseUrl: `http://127.0.0.1:${daemon.port}`, authorization, last4: S.card, startAmount: L.startAmount, sampleTimeoutMs: 5000 },
      L,
      daemon.ctx.redis as Redis,
    );
    for (const [name, p] of [['sequential', r.sequential], ['concurrent', r.concurrent]] as const) {
      if (p.failures > 0) report.errors.push(`(c) ${name}: ${p.failures} samples failed, first: ${p.firstFailure}`);
    }
    say(
      `    sequential p50 ${r.sequential.webhookMs.p50} ms, p99 ${r.sequential.webhookMs.p99} ms; ` +
        `concurrent p50 ${r.concurrent.webhookMs.p50} ms, p99 ${r.concurrent.webhookMs.p99} ms`,
    );
    const p50 = r.sequential.webhookMs.p50;
    report.webhookLatency = { ...r, p50: { value: p50, target: `p50 < ${S.targets.webhookP50Ms} ms`, pass: p50 < S.targets.webhookP50Ms } };
  }
}

/** (d): N pending transactions through createTransaction into a fresh redis-server. */
async function memoryPhase(report: BenchReport): Promise<void> {
  say(`(d) memory: ${S.memoryTransactions} pending transactions in a fresh redis-server`);
  const config = parseConfig({ API_USERNAME: 'bench', API_PASSWORD: 'bench', SANDBOX: 'true', CARDS: S.card });
  const m = await measureMemory(config, S.memoryTransactions, (stop) => cleanups.push(stop));
  const per = m.variants[0]?.bytesPerTransaction ?? NaN;
  say(`    ${m.variants.map((v) => `${v.label}: ${v.bytesPerTransaction} B`).join('; ')}`);
  report.memory = { ...m, perTransaction: { value: per, target: `< ${S.targets.bytesPerTx} B`, pass: per < S.targets.bytesPerTx } };
}

async function main(): Promise<number> {
  const started = performance.now();
  const machine = describeMachine();
  say(`paycue bench on ${machineLine(machine)}`);
  const report: BenchReport = { generatedAt: new Date().toISOString(), machine, settings: { ...S, only: [...only] }, errors: [], totalSeconds: 0 };

  const phase = async (name: string, fn: () => Promise<void>) => {
    if (interrupted) return;
    try {
      await fn();
    } catch (err) {
      if (interrupted) return;
      say(`${name} failed: ${(err as Error).stack ?? String(err)}`);
      report.errors.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
    } finally {
      await cleanUp();
    }
  };
  if (only.has('a') || only.has('b') || only.has('c')) await phase('HTTP phases', () => httpPhases(report));
  if (only.has('d')) await phase('(d) memory', () => memoryPhase(report));
  if (only.has('e')) {
    await phase('(e) parser', async () => {
      say('(e) parser');
      report.parser = benchParser(FIXTURES, 2000);
    });
  }

  if (only.has('f')) {
    await phase('(f) pay page', async () => {
      say('(f) pay page: render, and SSE fan-out to 1000 streams');
      report.payPage = await benchPayPage(say, (stop) => cleanups.push(stop), 1000);
    });
  }

  if (only.has('g')) {
    await phase('(g) transaction list', async () => {
      say(`(g) transaction list: ${S.listRecords} transactions`);
      report.list = await benchList(S.listRecords, S.listIterations, (stop) => cleanups.push(stop));
    });
  }

  if (only.has('h')) {
    await phase('(h) sentinel', async () => {
      report.sentinel = await benchSentinel(say, (stop) => cleanups.push(stop), { seconds: S.phaseSec, connections: S.connections });
    });
  }

  if (interrupted) return 130;
  report.totalSeconds = (performance.now() - started) / 1000;
  const files = writeReport(OUT_DIR, report);
  process.stdout.write(`\n${textTable(report)}\n\nJSON: ${files.json}\nMarkdown: ${files.md}\n`);
  return report.errors.length > 0 ? 1 : 0;
}

main()
  .catch((err) => {
    say(`bench failed: ${(err as Error).stack ?? String(err)}`);
    return 1;
  })
  .then(async (code) => {
    await cleanUp();
    process.exitCode = code;
    // Anything still holding the loop open after cleanup is a bug, not a reason to hang.
    setTimeout(() => {
      say('bench: forcing exit (a handle was left open)');
      process.exit(code);
    }, 5000).unref();
  });
