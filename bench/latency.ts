// Main side of (c): forks latency-client.ts, whose receiver URL becomes the daemon's WEBHOOK_URL,
// and meters the daemon's CPU per confirmation in each phase.
import type { Redis } from 'ioredis';
import { forkRpc, type RpcChild } from './ipc.js';
import { startCpuMeter, type CpuReport } from './cpu.js';
import type { LatencyCounters, LatencyPhase, LatencySpec } from './latency-client.js';

export type { LatencySpec, LatencyPhase } from './latency-client.js';

export interface MeteredPhase extends LatencyPhase {
  concurrency: number;
  /** Confirmed samples per second of wall time. */
  perSecond: number;
  cpu: CpuReport;
  /** Daemon / redis-server CPU per confirmed sample: one create, one credit, one webhook delivery. */
  perSampleUs: { server: number; redis: number | null };
}

export interface LatencyResult extends LatencyCounters {
  sequential: MeteredPhase;
  concurrent: MeteredPhase;
}

export interface LatencyClient {
  pid: number;
  /** Where the daemon must send its webhooks. */
  receiverUrl: string;
  run(
    spec: LatencySpec,
    plan: { warmupConcurrent: number; warmupSequential: number; sequential: number; concurrency: number; concurrentSamples: number },
    redis: Redis,
  ): Promise<LatencyResult>;
  close(): Promise<void>;
}

export async function startLatencyClient(): Promise<LatencyClient> {
  const child: RpcChild = await forkRpc('./latency-client.js');
  const info = child.info as { url: string };
  const phase = async (spec: LatencySpec, total: number, concurrency: number, redis: Redis): Promise<MeteredPhase> => {
    const meter = await startCpuMeter(redis);
    const p = await child.call<LatencyPhase>('runPhase', { spec, total, concurrency }, 30_000 + total * spec.sampleTimeoutMs);
    const cpu = await meter.stop();
    const n = p.webhookMs.samples;
    const us = (ms: number) => Math.round((ms * 1000) / n);
    return {
      ...p,
      concurrency,
      perSecond: Math.round(n / p.wallSec),
      cpu,
      perSampleUs: { server: us(cpu.serverMs), redis: cpu.redisMs === null ? null : us(cpu.redisMs) },
    };
  };
  return {
    pid: child.pid,
    receiverUrl: info.url,
    async run(spec, plan, redis) {
      // Warm the create, credit and delivery paths (JIT, connection pools) before measuring.
      await phase(spec, plan.warmupConcurrent, plan.concurrency, redis);
      await phase(spec, plan.warmupSequential, 1, redis);
      const sequential = await phase(spec, plan.sequential, 1, redis);
      const concurrent = await phase(spec, plan.concurrentSamples, plan.concurrency, redis);
      return { sequential, concurrent, ...(await child.call<LatencyCounters>('counters', null, 5000)) };
    },
    close: () => child.close(),
  };
}
