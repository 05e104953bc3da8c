// What the numbers were measured on: they mean little without it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem, type as osType } from 'node:os';
import { findRedisServer } from '../src/dev/local-redis.js';

export interface Machine {
  cpuModel: string;
  /** Logical CPUs usable by this process. */
  cores: number;
  node: string;
  redisServer: string;
  os: string;
  memoryGiB: number;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    /* not Linux: fall back to what Node knows */
  }
  return cpus()[0]?.model ?? 'unknown';
}

function redisServerVersion(): string {
  try {
    const r = spawnSync(findRedisServer(), ['--version'], { encoding: 'utf8' });
    const m = /v=(\S+)/.exec(r.stdout);
    return m?.[1] ?? (r.stdout.trim() || 'unknown');
  } catch (err) {
    return `unavailable (${(err as Error).message.split('\n')[0]})`;
  }
}

export function describeMachine(): Machine {
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    node: process.version,
    redisServer: redisServerVersion(),
    os: `${osType()} ${release()}`,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

export function machineLine(m: Machine): string {
  return `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, redis-server ${m.redisServer}`;
}
