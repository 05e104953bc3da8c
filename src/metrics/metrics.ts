// Prometheus metrics, one registry per daemon instance (tests run several in one process).
// Every counter starts at 0 for each label value it can take, so rate() and alerts work before
// the first event (Prometheus conventions).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NonCreditReason } from '../bot-messages/index.js';
import type { CreditResult } from '../transactions/credit.js';
import { VERSION } from '../version.js';

/** Records, so the compiler insists on every value of the type. */
const NON_CREDIT: Record<NonCreditReason, true> = {
  unknown_sender: true, too_long: true, debit: true, reversal: true, declined: true, balance: true, service: true,
  ambiguous: true, not_uzs: true, bad_amount: true, unrecognised: true,
};
const CREDIT_RESULTS: Record<Exclude<CreditResult, 'already_processed'> | 'duplicate', true> = {
  matched: true, no_match: true, late: true, already_confirmed: true, ambiguous: true, duplicate: true,
};
export const KNOWN_LABELS = {
  transactions: ['created', 'confirmed', 'cancelled', 'expired'],
  credits: Object.keys(CREDIT_RESULTS),
  botMessages: ['credit', ...Object.keys(NON_CREDIT)],
  webhookAttempts: ['delivered', 'retry', 'failed', 'superseded'],
  authFailures: ['unauthorized', 'limited'],
  creditsSettled: ['attached', 'dismissed'],
} as const;

export interface MetricsSources {
  pendingTransactions?: () => Promise<number>;
  /** Only outside sandbox mode: without them the Telegram metrics are not exported at all. */
  /** null: this process does not hold the watcher (a standby): NaN, not a false alarm. */
  telegramConnected?: () => boolean | null;
  lastBotMessageAt?: () => number | null;
  /** A due transaction has waited too long for the watermark (the bank chat is not being read). */
  expiryHeld?: () => boolean | null;
  /** How far the observation watermark is behind the clock (s); null: none published yet. */
  watermarkLag?: () => number | null;
  /** Outside sandbox: how often the Telegram connection came back since start. */
  telegramReconnects?: () => number;
  /** Outside sandbox: history requests since start, by bot name. */
  historyReads?: () => Record<string, number>;
  /** Outside sandbox: Telegram's clock minus Redis's at the last chat read (ms); null before it. */
  clockSkewMs?: () => number | null;
  webhookBacklog?: () => Promise<number>;
  failedDeliveries?: () => Promise<number>;
  /** Open credit records: the review queue. */
  openCredits?: () => Promise<number>;
  redisUp?: () => boolean;
  /** ROLE (all | api). */
  role?: string;
  /** ROLE=all outside sandbox: whether this process holds the Telegram watcher (else a standby). */
  watcherHeld?: () => boolean;
}

export class Metrics {
  readonly registry = new Registry();
  readonly transactions = new Counter({
    name: 'paycue_transactions_total',
    help: 'Transactions by what happened to them (created, confirmed, cancelled, expired).',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  readonly credits = new Counter({
    name: 'paycue_credits_total',
    help: 'Bank credits seen, by result (matched, no_match, late, already_confirmed, ambiguous, duplicate).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly botMessages = new Counter({
    name: 'paycue_bot_messages_total',
    help: 'Bot messages parsed, by verdict (credit or the non-credit reason).',
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  });
  readonly webhookAttempts = new Counter({
    name: 'paycue_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome (delivered, retry, failed, superseded: another daemon took the delivery over).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'paycue_auth_failures_total',
    help: 'HTTP Basic logins refused: unauthorized (wrong credentials) or limited (429, too many from one address).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly noFreeAmount = new Counter({
    name: 'paycue_no_free_amount_total',
    help: 'Creates answered 409: no free amount within LIMIT steps of the requested price.',
    registers: [this.registry],
  });
  readonly webhookAttemptDuration = new Histogram({
    name: 'paycue_webhook_attempt_duration_seconds',
    help: 'Duration of every webhook attempt, successful or not (time to the receiver\'s answer or the failure).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'paycue_http_requests_total',
    help: 'HTTP requests by route (the pattern, `other` for unknown paths), method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'paycue_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly creditsSettled = new Counter({
    name: 'paycue_credits_settled_total',
    help: 'Open credits settled by a person, by how (attached, dismissed).',
    labelNames: ['how'] as const,
    registers: [this.registry],
  });
  readonly webhookLatency = new Histogram({
    name: 'paycue_webhook_delivery_seconds',
    help: 'From the decision (confirm/cancel) to a successful delivery.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    registers: [this.registry],
  });

  constructor(sources: MetricsSources = {}) {
    collectDefaultMetrics({ register: this.registry });
    const registry = this.registry;
    for (const event of KNOWN_LABELS.transactions) this.transactions.inc({ event }, 0);
    for (const result of KNOWN_LABELS.credits) this.credits.inc({ result }, 0);
    for (const verdict of KNOWN_LABELS.botMessages) this.botMessages.inc({ verdict }, 0);
    for (const outcome of KNOWN_LABELS.webhookAttempts) this.webhookAttempts.inc({ outcome }, 0);
    for (const outcome of KNOWN_LABELS.authFailures) this.authFailures.inc({ outcome }, 0);
    for (const how of KNOWN_LABELS.creditsSettled) this.creditsSettled.inc({ how }, 0);
    new Gauge({
      name: 'paycue_build_info',
      help: 'Always 1; the labels say which paycue and Node.js run.',
      labelNames: ['version', 'nodejs'] as const,
      registers: [registry],
    }).set({ version: VERSION, nodejs: process.versions.node }, 1);
    const fromRedis = (name: string, help: string, source: (() => Promise<number>) | undefined) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          if (source) this.set(await source().catch(() => NaN));
        },
      });
    /** Exported only when the source exists (the Telegram ones: not in sandbox mode). */
    const fromProcess = (name: string, help: string, source: (() => number) | undefined) => {
      if (source) new Gauge({ name, help, registers: [registry], collect() { this.set(source()); } });
    };
    const flag = (read: (() => boolean | null) | undefined) => read && (() => { const v = read(); return v === null ? NaN : v ? 1 : 0; });
    const lastAt = sources.lastBotMessageAt;
    fromRedis('paycue_pending_transactions', 'Transactions waiting for payment.', sources.pendingTransactions);
    fromRedis('paycue_webhook_backlog', 'Webhook events waiting for delivery or a retry.', sources.webhookBacklog);
    fromRedis('paycue_webhook_failed_deliveries', 'Deliveries that failed after their last retry and were not redelivered (kept 7 days).', sources.failedDeliveries);
    fromRedis('paycue_open_credits', 'Credits waiting in the review queue: money that confirmed nothing, to attach or dismiss.', sources.openCredits);
    fromProcess('paycue_redis_up', '1 when the Redis connection is ready.', flag(sources.redisUp));
    fromProcess('paycue_telegram_watcher_held', '1 when this process holds the Telegram session and watches; 0 as a standby (absent without a watcher).', flag(sources.watcherHeld));
    if (sources.role) {
      new Gauge({ name: 'paycue_role', help: 'Always 1; the label is ROLE (all: API and Telegram, api: no Telegram).', labelNames: ['role'] as const, registers: [registry] }).set(
        { role: sources.role },
        1,
      );
    }
    fromProcess('paycue_telegram_connected', '1 when the Telegram watcher is connected (NaN on a standby; absent in sandbox mode and with ROLE=api).', flag(sources.telegramConnected));
    fromProcess(
      'paycue_expiry_held',
      '1 while a transaction past its deadline and PAYMENT_GRACE has waited over 30 s for the bank chat to be read up to it (the watermark): expiry is held.',
      flag(sources.expiryHeld),
    );
    const lag = sources.watermarkLag;
    fromProcess(
      'paycue_expiry_watermark_lag_seconds',
      'How far the observation watermark (every bank message dated before it is decided) is behind the clock; NaN until a watcher publishes one. Sandbox: 0.',
      lag && (() => lag() ?? NaN),
    );
    const skew = sources.clockSkewMs;
    fromProcess(
      'paycue_telegram_clock_skew_seconds',
      "Telegram's clock minus Redis's at the last chat read (over 30 s either way holds expiry); NaN before the first read or on a standby.",
      skew && (() => { const v = skew(); return v === null ? NaN : v / 1000; }),
    );
    fromProcess(
      'paycue_seconds_since_last_bot_message',
      "Age of the newest message from a watched bot, by the bank's timestamp (NaN until one is seen).",
      lastAt && (() => { const at = lastAt(); return at === null ? NaN : (Date.now() - at) / 1000; }),
    );
    fromProcess(
      'paycue_last_bot_message_timestamp_seconds',
      "Unix time of the newest message from a watched bot, by the bank's timestamp (NaN until one is seen): alert on time() minus it.",
      lastAt && (() => { const at = lastAt(); return at === null ? NaN : at / 1000; }),
    );
    if (sources.historyReads) {
      const reads = sources.historyReads;
      new Counter({
        name: 'paycue_telegram_history_reads_total',
        help: 'Chat history requests to Telegram by bot (start-up, drops, gaps, the periodic read, waiting deadlines): rate() gives reads per hour.',
        labelNames: ['bot'] as const,
        registers: [registry],
        collect() {
          this.reset();
          for (const [bot, n] of Object.entries(reads())) this.inc({ bot }, n);
        },
      });
    }
    if (sources.telegramReconnects) {
      const reconnects = sources.telegramReconnects;
      new Counter({
        name: 'paycue_telegram_reconnects_total',
        help: 'Times the Telegram connection came back after a loss (absent in sandbox mode).',
        registers: [registry],
        collect() {
          this.reset();
          this.inc(reconnects());
        },
      });
    }
  }
}
