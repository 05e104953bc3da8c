// One delivery of one event: build the body from the stored transaction, send it signed,
// and record the attempt (which decides delivered / retry / failed in one script).
import type { Events } from '../events.js';
import type { TxContext } from '../transactions/context.js';
import { getTransaction } from '../transactions/get.js';
import { decidedAt, eventWebhookId, webhookBody } from './payload.js';
import { retryDelayMs } from './retry-delay.js';
import { sendWebhook } from './send.js';
import { secretKey } from './sign.js';
import type { StreamEntry } from './stream.js';
import type { WebhookTarget } from './target.js';

export interface WebhookSettings {
  target: WebhookTarget;
  secret?: string;
  workers: number;
  retries: number;
  backoffMs: number[];
  timeoutMs: number;
  success: 'ok' | '2xx';
  userAgent: string;
}

/** What became of an entry: recorded, or not recorded and why. */
export type DeliveryEnd = 'recorded' | 'no_transaction' | 'aborted';

export class Deliverer {
  private readonly key: Buffer | null;

  constructor(
    private readonly ctx: TxContext,
    private readonly settings: WebhookSettings,
    private readonly events: Events,
  ) {
    this.key = settings.secret ? secretKey(settings.secret) : null;
  }

  /** `consumer`: who holds the entry (only the holder's attempt decides). */
  async deliver(e: StreamEntry, consumer: string, signal: AbortSignal): Promise<DeliveryEnd> {
    const tx = await getTransaction(this.ctx, e.tx);
    if (!tx) return 'no_transaction';
    const out = await sendWebhook({
      target: this.settings.target,
      id: eventWebhookId(tx),
      body: webhookBody(tx, e.action, this.ctx.rules.step),
      key: this.key,
      timeoutMs: this.settings.timeoutMs,
      success: this.settings.success,
      userAgent: this.settings.userAgent,
      signal,
    });
    // Shutting down mid-attempt is not the receiver's fault: no attempt is counted.
    if (signal.aborted && !out.success) return 'aborted';

    const now = this.ctx.now();
    const attemptInRound = tx.webhookAttempts - tx.webhookRound + 1;
    const retryAt = now + retryDelayMs(attemptInRound, this.settings.backoffMs, out.retryAfterMs);
    const { decision, attempts } = await this.ctx.commands.attemptResult({
      consumer,
      txId: tx.id,
      action: e.action,
      entryId: e.id,
      success: out.success,
      attempt: JSON.stringify({
        at: new Date(now - out.durationMs).toISOString(),
        status: out.status,
        ...(out.error ? { error: out.error } : {}),
        duration_ms: out.durationMs,
      }),
      now,
      attemptsPerRound: 1 + this.settings.retries,
      retryAt,
      keepMs: this.ctx.rules.keepMs,
    });
    this.events.webhookAttempt(decision, {
      transactionId: tx.id,
      action: e.action,
      attempts,
      status: out.status,
      ...(out.error ? { error: out.error } : {}),
      durationMs: out.durationMs,
      retryAt,
      latencySec: (now - decidedAt(tx, e.action)) / 1000,
    });
    return 'recorded';
  }
}
