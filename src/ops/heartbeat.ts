// The running daemon writes a small status hash every few seconds, because `paycue status`
// runs in another process and can only see what the daemon publishes (Telegram connected,
// expiry held, last bot message). A heartbeat older than STALE_AFTER_MS means the daemon is gone.
import { hostname } from 'node:os';
import type { Commands, DaemonHeartbeat } from '../redis/commands.js';
import type { TelegramStatus } from '../telegram/types.js';
import type { ExpiryHealth } from '../transactions/expiry-state.js';
import { VERSION } from '../version.js';

export const HEARTBEAT_INTERVAL_MS = 5_000;
/** Three missed beats: the daemon is stopped, hung or cut off from Redis. */
export const STALE_AFTER_MS = 3 * HEARTBEAT_INTERVAL_MS;
const KEY_TTL_MS = 60_000;

export interface HeartbeatSource {
  sandbox: boolean;
  /** Whether this process's beat is the one to publish (it watches Telegram, or runs in sandbox). */
  publishes: () => boolean;
  telegram: () => TelegramStatus | null;
  /** up, down, connecting, degraded… as /ready says it. */
  telegramState: () => string;
  expiry: () => ExpiryHealth;
}

export interface Heartbeat {
  /** Publishes now (e.g. this process just took the watcher), not at the next interval. */
  beat(): Promise<void>;
  stop(): Promise<void>;
}

export function snapshot(src: HeartbeatSource, now: number): DaemonHeartbeat {
  const tg = src.telegram();
  return {
    version: VERSION,
    pid: process.pid,
    host: hostname(),
    sandbox: src.sandbox,
    telegramConnected: tg?.connected ?? false,
    telegramState: src.telegramState(),
    expiryHeld: src.expiry().held,
    watermarkLagS: src.expiry().lagSeconds,
    lastBotMessageAt: tg?.lastBotMessageAt ?? null,
    account: tg?.me ? (tg.me.username ? `${tg.me.id} (@${tg.me.username})` : tg.me.id) : null,
    updatedAt: now,
  };
}

/** Resolves once the first beat is written (or failed: Redis down), so the key set is settled. */
export async function startHeartbeat(commands: Commands, src: HeartbeatSource, intervalMs = HEARTBEAT_INTERVAL_MS): Promise<Heartbeat> {
  let running: Promise<void> = Promise.resolve();
  const beat = () => {
    if (!src.publishes()) return running;
    running = commands.publishDaemonStatus(snapshot(src, Date.now()), KEY_TTL_MS).catch(() => undefined); // Redis down: the next beat retries
    return running;
  };
  await beat();
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  return {
    beat,
    async stop() {
      clearInterval(timer);
      await running;
      await commands.clearDaemonStatus(process.pid, hostname()).catch(() => undefined);
    },
  };
}
