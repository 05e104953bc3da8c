// Main side of the HTTP load phases: a forked autocannon client (load-client.ts), so the
// load generator never runs on the event loop of the server it measures.
import { forkRpc, type RpcChild } from './ipc.js';
import type { CpuReport } from './cpu.js';
import type { LoadResult, LoadSpec } from './load-client.js';

export type { LoadResult, LoadSpec, LoadBody } from './load-client.js';

export interface LoadGenerator {
  pid: number;
  run(spec: LoadSpec): Promise<LoadResult>;
  /** The merged result of every run made with `bucket: name`. */
  take(name: string): Promise<LoadResult>;
  close(): Promise<void>;
}

export async function startLoadGenerator(): Promise<LoadGenerator> {
  const child: RpcChild = await forkRpc('./load-client.js');
  return {
    pid: child.pid,
    run: (spec) => child.call<LoadResult>('run', spec, (spec.maxSec + 15) * 1000),
    take: (name) => child.call<LoadResult>('take', name, 10_000),
    close: () => child.close(),
  };
}

/** Throws when a phase produced anything but 2xx: its numbers would not mean what they say. */
export function assertAllOk(name: string, r: LoadResult): void {
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0 || r.ok === 0) {
    throw new Error(
      `${name}: ${r.ok} ok, ${r.non2xx} non-2xx ${JSON.stringify(r.statusCounts)}, ${r.errors} errors, ${r.timeouts} timeouts`,
    );
  }
}

/** A load result with the CPU each process spent on it, per 2xx response. */
export interface Measured {
  load: LoadResult;
  cpu: CpuReport;
  /** CPU µs per answered request: the server process, redis-server, the load generator. */
  perRequestUs: { server: number; redis: number | null; client: number };
}

export function perRequest(load: LoadResult, cpu: CpuReport): Measured {
  const us = (ms: number) => Math.round((ms * 1000) / load.ok);
  return { load, cpu, perRequestUs: { server: us(cpu.serverMs), redis: cpu.redisMs === null ? null : us(cpu.redisMs), client: us(load.clientCpuMs) } };
}

