// CPU accounting per phase. On a shared 2-core box requests/s move with whatever else runs;
// CPU time per request of each process does not, so it is reported beside every rate.
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

interface SystemTicks {
  busy: number;
  steal: number;
  total: number;
}

function systemTicks(): SystemTicks | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    return { busy: user + nice + system + irq + softirq, steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
  } catch {
    return null;
  }
}

async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (get('used_cpu_user') + get('used_cpu_sys')) * 1000;
}

export interface CpuReport {
  wallSec: number;
  /** CPU ms of this process (the daemon and the bare server live here). */
  serverMs: number;
  /** CPU ms of redis-server, from its INFO cpu (null when no Redis is involved). */
  redisMs: number | null;
  /** Whole-machine busy and steal time over the phase, % of all cores. */
  machineBusyPct: number | null;
  stealPct: number | null;
}

export interface CpuMeter {
  stop(): Promise<CpuReport>;
}

export async function startCpuMeter(redis?: Redis): Promise<CpuMeter> {
  const t0 = performance.now();
  const sys0 = systemTicks();
  const redis0 = redis ? await redisCpuMs(redis) : null;
  const self0 = process.cpuUsage();
  return {
    async stop() {
      const self = process.cpuUsage(self0);
      const wallSec = (performance.now() - t0) / 1000;
      const redis1 = redis ? await redisCpuMs(redis) : null;
      const sys1 = systemTicks();
      const total = sys0 && sys1 ? sys1.total - sys0.total : 0;
      const pct = (x: number) => Math.round((1000 * x) / total) / 10;
      return {
        wallSec,
        serverMs: (self.user + self.system) / 1000,
        redisMs: redis0 !== null && redis1 !== null ? redis1 - redis0 : null,
        machineBusyPct: sys0 && sys1 && total > 0 ? pct(sys1.busy - sys0.busy) : null,
        stealPct: sys0 && sys1 && total > 0 ? pct(sys1.steal - sys0.steal) : null,
      };
    },
  };
}

/** Sums the reports of several segments of one side of a comparison. */
export function addCpu(a: CpuReport | undefined, b: CpuReport): CpuReport {
  if (!a) return b;
  const busy = (x: CpuReport) => (x.machineBusyPct ?? 0) * x.wallSec;
  const steal = (x: CpuReport) => (x.stealPct ?? 0) * x.wallSec;
  const wallSec = a.wallSec + b.wallSec;
  return {
    wallSec,
    serverMs: a.serverMs + b.serverMs,
    redisMs: a.redisMs !== null && b.redisMs !== null ? a.redisMs + b.redisMs : null,
    machineBusyPct: a.machineBusyPct !== null && b.machineBusyPct !== null ? Math.round((10 * (busy(a) + busy(b))) / wallSec) / 10 : null,
    stealPct: a.stealPct !== null && b.stealPct !== null ? Math.round((10 * (steal(a) + steal(b))) / wallSec) / 10 : null,
  };
}
