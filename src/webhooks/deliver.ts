// One delivery of one event: build the body from the stored transaction, send it signed,
// and record the attempt (which decides delivered / retry / failed in one script).
import type { Events } from '../events.js';
import type { TxContext } from '../transactions/context.js';
import { getTransaction } from '../transactions/get.js';
import { decidedAt, eventWebhookId, latePaymentBody, latePaymentWebhookId, webhookBody } from './payload.js';
import { getCredit } from '../credits/get.js';
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
    // A late_payment entry names its credit record; the event is about the credit's transaction.
    const credit = e.action === 'late_payment' ? await getCredit(this.ctx, e.tx) : null;
    const tx = await getTransaction(this.ctx, credit ? (credit.txId ?? '') : e.tx);
    if (!tx || (e.action === 'late_payment' && !credit)) return 'no_transaction';
    const tracked = credit ? { id: credit.id, attempts: credit.latePayment?.attempts ?? 0, round: credit.latePayment?.round ?? 0 } : { id: tx.id, attempts: tx.webhookAttempts, round: tx.webhookRound };
    const out = await sendWebhook({
      target: this.settings.target,
      id: credit ? latePaymentWebhookId(credit.id) : eventWebhookId(tx),
      body: credit ? latePaymentBody(tx, credit, this.ctx.rules.step) : webhookBody(tx, e.action, this.ctx.rules.step),
      key: this.key,
      timeoutMs: this.settings.timeoutMs,
      success: this.settings.success,
      userAgent: this.settings.userAgent,
      signal,
    });
    // Shutting down mid-attempt is not the receiver's fault: no attempt is counted.
    if (signal.aborted && !out.success) return 'aborted';

    const now = this.ctx.now();
    const attemptInRound = tracked.attempts - tracked.round + 1;
    const retryAt = now + retryDelayMs(attemptInRound, this.settings.backoffMs, out.retryAfterMs);
    const { decision, attempts } = await this.ctx.commands.attemptResult({
      consumer,
      txId: tracked.id,
      ...(credit ? { onCredit: true } : {}),
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
      ...(credit ? { creditId: credit.id } : {}),
      action: e.action,
      attempts,
      status: out.status,
      ...(out.error ? { error: out.error } : {}),
      durationMs: out.durationMs,
      retryAt,
      latencySec: (now - (credit ? credit.receivedAt : decidedAt(tx, e.action))) / 1000,
    });
    return 'recorded';
  }
}
