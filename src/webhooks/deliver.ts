// One delivery of one event: build the body from the stored transaction, send it signed,
// and record the attempt (which decides delivered / retry / failed in one script).
import type { Events } from '../events.js';
import type { TxContext } from '../transactions/context.js';
import { getTransaction } from '../transactions/get.js';
import { decidedAt, eventWebhookId, latePaymentBody, latePaymentWebhookId, webhookBody } from './payload.js';
import { getCredit } from '../credits/get.js';
import { retryDelayMs } from './retry-delay.js';
import { sendWebhook, type AttemptOutcome } from './send.js';
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
    // Where the writes go: the state this event's replication was confirmed on (replication-barrier.ts).
    const tx = await getTransaction(this.ctx, credit ? (credit.txId ?? '') : e.tx, { forWrite: true });
    if (credit && !tx) {
      // The late payment's transaction record expired (7 days) while its event waited: the event
      // cannot be built any more. Recorded as failed at once, so it is listed and alerted, not
      // left pending for ever.
      return this.record(e, consumer, credit, credit.txId ?? '', { success: false, status: null, error: 'its transaction record has expired (records are kept 7 days)', retryAfterMs: null, durationMs: 0 }, true);
    }
    if (!tx || (e.action === 'late_payment' && !credit)) return 'no_transaction';
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
    return this.record(e, consumer, credit ?? tx, tx.id, out, false, credit ? credit.receivedAt : decidedAt(tx, e.action));
  }

  /** Records the attempt on what tracks the event (the transaction, or a late_payment's credit). */
  private async record(
    e: StreamEntry,
    consumer: string,
    tracked: { id: string } & ({ webhookAttempts: number; webhookRound: number } | { latePayment?: { attempts: number; round: number } }),
    txId: string,
    out: AttemptOutcome,
    final: boolean,
    decidedAtMs?: number,
  ): Promise<DeliveryEnd> {
    const [attempts0, round] = 'webhookAttempts' in tracked ? [tracked.webhookAttempts, tracked.webhookRound] : [tracked.latePayment?.attempts ?? 0, tracked.latePayment?.round ?? 0];
    const now = this.ctx.now();
    const retryAt = now + retryDelayMs(attempts0 - round + 1, this.settings.backoffMs, out.retryAfterMs);
    const onCredit = e.action === 'late_payment';
    const { decision, attempts } = await this.ctx.commands.attemptResult({
      consumer,
      txId: tracked.id,
      ...(onCredit ? { onCredit: true } : {}),
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
      // `final`: no retry can help; this attempt ends the round.
      attemptsPerRound: final ? 1 : 1 + this.settings.retries,
      retryAt,
      keepMs: this.ctx.rules.keepMs,
    });
    this.events.webhookAttempt(decision, {
      transactionId: txId,
      ...(onCredit ? { creditId: tracked.id } : {}),
      action: e.action,
      attempts,
      status: out.status,
      ...(out.error ? { error: out.error } : {}),
      durationMs: out.durationMs,
      retryAt,
      ...(decidedAtMs !== undefined ? { latencySec: (now - decidedAtMs) / 1000 } : {}),
    });
    return 'recorded';
  }
}
