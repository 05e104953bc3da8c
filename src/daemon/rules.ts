// The only place that turns the configuration into what each part needs (but the Redis
// connection, config/redis.ts, which every command needs too): every other module takes its
// own small settings type and never reads Config.
import type { Config, OperatorConfig } from '../config/env.js';
import { watchedBots, type WatchedBotId } from '../bot-messages/bots.js';
import { USER_AGENT } from '../version.js';
import type { TransactionRules } from '../transactions/context.js';
import type { WebhookSettings } from '../webhooks/deliver.js';
import { webhookTarget } from '../webhooks/target.js';
import type { HttpSettings } from '../http/deps.js';
import type { WatcherSettings } from '../telegram/types.js';
import type { TestEventSettings } from '../ops/webhook-test.js';
import type { LoggerOptions } from '../log/logger.js';
import type { AlertSettings, AlertTimings } from '../alerts/settings.js';
import { minReplicas } from '../config/redis.js';

/** Closed transaction records (and their webhook logs) are kept this long. */
export const KEEP_RECORDS_MS = 7 * 24 * 3600 * 1000;
/** A processed Telegram message is remembered this long, so a late repeat changes nothing. */
const REMEMBER_MESSAGES_SEC = 30 * 24 * 3600;
/** Unmatched credits listed by `paycue credits unmatched`. */
const UNMATCHED_KEPT = 1000;
/** Credit records (and their raw bank text) are kept at least this long. */
export const KEEP_CREDITS_MS = 30 * 24 * 3600 * 1000;

export function transactionRules(c: OperatorConfig): TransactionRules {
  return {
    step: c.amountStep,
    direction: c.amountDirection,
    limit: c.limit,
    ttlMs: c.transactionTtlMs,
    quarantineMs: c.quarantineMs,
    cards: c.cards,
    keepMs: KEEP_RECORDS_MS,
    messageTtlSec: REMEMBER_MESSAGES_SEC,
    unmatchedCap: UNMATCHED_KEPT,
    minReplicas: minReplicas(c),
    creditKeepMs: KEEP_CREDITS_MS,
    creditTextKeepMs: KEEP_CREDITS_MS,
    latePayment: c.webhookLatePayment,
    // Sandbox has no bank chat to have seen: its watermark is the clock itself.
    expiry: { mode: c.sandbox ? 'now' : 'seen', graceMs: c.paymentGraceMs },
  };
}

export function watchedBotsOf(c: OperatorConfig): WatchedBotId[] {
  return watchedBots(c.watchId, c.watchCardXabar);
}

/** In sandbox without WEBHOOK_URL, webhooks go to our own /health/, as the original's default did. */
export function webhookSettings(c: Config, port: number): WebhookSettings {
  return {
    target: webhookTarget(c.webhookUrl ?? `http://127.0.0.1:${port}/health/`),
    ...(c.webhookSecret ? { secret: c.webhookSecret } : {}),
    workers: c.workers,
    retries: c.webhookRetries,
    backoffMs: c.webhookBackoffMs,
    timeoutMs: c.webhookTimeoutMs,
    success: c.webhookSuccess,
    userAgent: USER_AGENT,
  };
}

/** `paycue webhooks test` and `paycue doctor`: null without WEBHOOK_URL. */
export function testEventSettings(c: OperatorConfig): TestEventSettings | null {
  if (!c.webhookUrl) return null;
  return {
    target: webhookTarget(c.webhookUrl),
    ...(c.webhookSecret ? { secret: c.webhookSecret } : {}),
    timeoutMs: c.webhookTimeoutMs,
    success: c.webhookSuccess,
    userAgent: USER_AGENT,
  };
}

export function httpSettings(c: Config): HttpSettings {
  return {
    username: c.apiUsername,
    password: c.apiPassword,
    sandbox: c.sandbox,
    trustProxy: c.trustProxy,
    ...(c.metricsToken ? { metricsToken: c.metricsToken } : {}),
    bots: watchedBotsOf(c),
    ...(c.publicUrl ? { publicUrl: c.publicUrl } : {}),
    payRateLimit: c.payRateLimit,
    payHeartbeatMs: c.payHeartbeatMs,
  };
}

export function logSettings(c: OperatorConfig): LoggerOptions {
  return {
    level: c.logLevel ?? (c.debug ? 'debug' : 'info'),
    format: c.logFormat ?? (c.debug ? 'pretty' : 'json'),
  };
}

/** The alert bot, or nothing when ALERT_BOT_TOKEN is unset. */
export function alertSettings(c: Config, timings?: Partial<AlertTimings>): AlertSettings | undefined {
  if (!c.alertBotToken || c.alertChatId === undefined) return undefined;
  return {
    token: c.alertBotToken,
    chatId: c.alertChatId,
    admins: c.alertAdmins,
    attachTolerance: c.attachTolerance,
    ...(c.alertApiRoot ? { apiRoot: c.alertApiRoot.replace(/\/+$/, '') } : {}),
    ...(timings ? { timings } : {}),
  };
}

export function watcherSettings(c: OperatorConfig): WatcherSettings {
  return {
    sessionDir: c.sessionDir,
    ...(c.telegramSession ? { session: c.telegramSession } : {}),
    ...(c.appId ? { appId: c.appId } : {}),
    ...(c.appHash ? { appHash: c.appHash } : {}),
    bots: watchedBotsOf(c),
    ...('telegramTakeoverMs' in c ? { lockTtlMs: lockLeaseMs(c as Config) } : {}),
  };
}

/** The session lock's lease: two thirds of TELEGRAM_TAKEOVER, leaving the rest for the standby's
 * next try (standbyRetryMs) to come round after it expired. */
export function lockLeaseMs(c: Config): number {
  return Math.max(500, Math.floor((c.telegramTakeoverMs * 2) / 3));
}

/** How often a standby tries the session lock: a few seconds, well inside TELEGRAM_TAKEOVER. */
export function standbyRetryMs(c: Config): number {
  return Math.min(5000, Math.max(100, Math.floor(c.telegramTakeoverMs / 6)));
}
