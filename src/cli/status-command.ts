// `paycue status`: one screen on the whole installation, read from Redis (the daemon is another
// process: it publishes a heartbeat, see ops/heartbeat.ts). Degraded — exit 1 — means something is
// broken now; failed deliveries and open credits are shown for attention but do not degrade.
import type { OperatorConfig } from '../config/env.js';
import type { CliIO } from './io.js';
import { VERSION } from '../version.js';
import { STALE_AFTER_MS } from '../ops/heartbeat.js';
import { openOpsRedis, redisDisplay } from '../ops/redis-connection.js';

export interface StatusReport {
  version: string;
  /** Always `all` until a ROLE setting exists; one field so it can grow. */
  role: string;
  healthy: boolean;
  problems: string[];
  redis: { address: string; prefix: string; up: boolean; error?: string; version?: string; maxmemory_policy?: string; aof?: boolean };
  daemon: { running: boolean; version?: string; pid?: number; host?: string; heartbeat_age_s?: number };
  telegram:
    | { state: 'disabled' }
    | { state: 'unknown' }
    | { state: 'connected' | 'disconnected' | 'connecting' | 'degraded'; account: string | null; last_bot_message_age_s: number | null; expiry_held: boolean; watermark_lag_s: number | null };
  pending_transactions: number | null;
  webhook_backlog: number | null;
  failed_deliveries: number | null;
  /** Open credit records: the review queue (`paycue credits list --state open`). */
  open_credits: number | null;
}

const ageSec = (now: number, at: number) => Math.max(0, Math.round((now - at) / 1000));

export async function collectStatus(config: OperatorConfig, now = Date.now): Promise<StatusReport> {
  const problems: string[] = [];
  const report: StatusReport = {
    version: VERSION,
    role: config.role,
    healthy: false,
    problems,
    redis: { address: redisDisplay(config), prefix: config.redisPrefix, up: false },
    daemon: { running: false },
    telegram: config.sandbox ? { state: 'disabled' } : { state: 'unknown' },
    pending_transactions: null,
    webhook_backlog: null,
    failed_deliveries: null,
    open_credits: null,
  };
  const conn = await openOpsRedis(config);
  try {
    if (conn.error) {
      report.redis.error = conn.error;
      problems.push(`Redis is unreachable: ${conn.error}`);
      return report;
    }
    const c = conn.commands;
    const [info, beat, pending, backlog, failed, open] = await Promise.all([
      c.serverInfo(), c.daemonStatus(), c.pendingCount(), c.webhookBacklog(), c.failedCount(), c.openCreditsCount(),
    ]);
    Object.assign(report.redis, { up: true, version: info.version, maxmemory_policy: info.maxmemoryPolicy, aof: info.aofEnabled });
    if (info.maxmemoryPolicy !== 'noeviction') problems.push(`Redis maxmemory-policy is ${info.maxmemoryPolicy}: keys can be evicted (set noeviction)`);
    if (!info.aofEnabled) problems.push('Redis AOF is off: a Redis restart loses recent transactions and webhooks (appendonly yes)');
    Object.assign(report, { pending_transactions: pending, webhook_backlog: backlog, failed_deliveries: failed, open_credits: open });

    const t = now();
    if (!beat || t - beat.updatedAt > STALE_AFTER_MS) {
      problems.push(beat ? `the daemon's last heartbeat is ${ageSec(t, beat.updatedAt)} s old: it is stopped or hung` : 'no daemon on this prefix watches Telegram (a standby or a ROLE=api daemon does not publish a heartbeat)');
      if (beat) report.daemon = { running: false, version: beat.version, pid: beat.pid, host: beat.host, heartbeat_age_s: ageSec(t, beat.updatedAt) };
      return report;
    }
    report.daemon = { running: true, version: beat.version, pid: beat.pid, host: beat.host, heartbeat_age_s: ageSec(t, beat.updatedAt) };
    if (beat.sandbox) report.telegram = { state: 'disabled' };
    else {
      const state = beat.telegramState === 'connecting' ? 'connecting' : beat.telegramState === 'degraded' ? 'degraded' : beat.telegramConnected ? 'connected' : 'disconnected';
      report.telegram = {
        state,
        account: beat.account,
        last_bot_message_age_s: beat.lastBotMessageAt === null ? null : ageSec(t, beat.lastBotMessageAt),
        expiry_held: beat.expiryHeld,
        watermark_lag_s: beat.watermarkLagS,
      };
      if (state === 'connecting') problems.push('Telegram is still connecting (the daemon started moments ago)');
      else if (state === 'degraded') problems.push('Telegram is degraded: reading the bank chats keeps failing, or its clock and Redis\'s disagree (see the daemon\'s log)');
      else if (!beat.telegramConnected) problems.push('Telegram is disconnected');
      else if (beat.expiryHeld) problems.push('expiry is held: a transaction past its deadline waits for the bank chat to be read up to it');
    }
    return report;
  } catch (err) {
    problems.push(`reading Redis failed: ${(err as Error).message}`);
    return report;
  } finally {
    report.healthy = problems.length === 0;
    conn.close();
  }
}

const orDash = (n: number | null | undefined) => (n === null || n === undefined ? '-' : String(n));

export function formatStatus(r: StatusReport): string[] {
  const redis = r.redis.up
    ? `up (${r.redis.version}), maxmemory-policy ${r.redis.maxmemory_policy}, AOF ${r.redis.aof ? 'on' : 'off'}`
    : `DOWN (${r.redis.error ?? 'unreachable'})`;
  const daemon = r.daemon.running
    ? `running, pid ${r.daemon.pid} on ${r.daemon.host}, version ${r.daemon.version}`
    : r.daemon.pid
      ? `NOT RUNNING (last heartbeat ${r.daemon.heartbeat_age_s} s ago, pid ${r.daemon.pid} on ${r.daemon.host})`
      : 'NOT RUNNING';
  const tg = r.telegram;
  const telegram =
    tg.state === 'disabled' ? 'disabled (sandbox)'
    : tg.state === 'unknown' ? 'unknown (no running daemon)'
    : `${tg.state}, account ${tg.account ?? '?'}, last bot message ${tg.last_bot_message_age_s === null ? 'never' : `${tg.last_bot_message_age_s} s ago`}, ` +
      `expiry ${tg.expiry_held ? 'HELD' : 'running'} (chat read up to ${tg.watermark_lag_s === null ? 'never' : `${tg.watermark_lag_s} s ago`})`;
  return [
    `paycue ${r.version}  role ${r.role}  ${r.healthy ? 'HEALTHY' : 'DEGRADED'}`,
    `redis      ${r.redis.address} prefix ${r.redis.prefix}: ${redis}`,
    `daemon     ${daemon}`,
    `telegram   ${telegram}`,
    `pending transactions ${orDash(r.pending_transactions)}  webhook backlog ${orDash(r.webhook_backlog)}  failed deliveries ${orDash(r.failed_deliveries)}  open credits ${orDash(r.open_credits)}`,
    ...r.problems.map((p) => `! ${p}`),
    ...((r.failed_deliveries ?? 0) > 0 ? ['  see `paycue webhooks failed`; `paycue webhooks redeliver --all-failed` once the merchant is back'] : []),
    ...((r.open_credits ?? 0) > 0 ? ['  see `paycue credits list --state open`: money that confirmed no transaction, to settle'] : []),
  ];
}

/** Exit 0 healthy, 1 degraded. */
export async function runStatus(config: OperatorConfig, io: CliIO, opts: { json: boolean }): Promise<number> {
  const r = await collectStatus(config);
  if (opts.json) io.out(JSON.stringify(r));
  else formatStatus(r).forEach((l) => io.out(l));
  return r.healthy ? 0 : 1;
}
