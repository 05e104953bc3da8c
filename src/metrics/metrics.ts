// Prometheus metrics, one registry per daemon instance (tests run several in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsSources {
  pendingTransactions?: () => Promise<number>;
  /** Only outside sandbox mode: without them the Telegram gauges are not exported at all. */
  telegramConnected?: () => boolean;
  lastBotMessageAt?: () => number | null;
  webhookBacklog?: () => Promise<number>;
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
    new Gauge({
      name: 'paycue_pending_transactions',
      help: 'Transactions waiting for payment.',
      registers: [registry],
      async collect() {
        if (sources.pendingTransactions) this.set(await sources.pendingTransactions().catch(() => NaN));
      },
    });
    new Gauge({
      name: 'paycue_webhook_backlog',
      help: 'Webhook events waiting for delivery or a retry.',
      registers: [registry],
      async collect() {
        if (sources.webhookBacklog) this.set(await sources.webhookBacklog().catch(() => NaN));
      },
    });
    if (sources.telegramConnected) {
      const connected = sources.telegramConnected;
      new Gauge({
        name: 'paycue_telegram_connected',
        help: '1 when the Telegram watcher is connected (absent in sandbox mode).',
        registers: [registry],
        collect() {
          this.set(connected() ? 1 : 0);
        },
      });
    }
    if (sources.lastBotMessageAt) {
      const lastAt = sources.lastBotMessageAt;
      new Gauge({
        name: 'paycue_seconds_since_last_bot_message',
        help: "Age of the newest message from a watched bot, by the bank's timestamp (NaN until one is seen).",
        registers: [registry],
        collect() {
          const at = lastAt();
          this.set(at === null ? NaN : (Date.now() - at) / 1000);
        },
      });
    }
  }
}
