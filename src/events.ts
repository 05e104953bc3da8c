// The one observer of what happened: operations return outcomes, and this turns each into its
// metric and its lifecycle log line, so every event is counted in exactly one place.
import type { Logger } from './log/logger.js';
import type { Metrics } from './metrics/metrics.js';
import type { ParseResult } from './bot-messages/index.js';
import type { CreditOutcome } from './transactions/credit.js';
import type { AttemptDecision } from './redis/commands.js';
import { formatSom } from './money/amount.js';

export interface CreditFacts {
  messageKey: string;
  amountTiyin: number;
  last4: string | null;
}

export interface AttemptFacts {
  transactionId: string;
  action: string;
  attempts: number;
  status: number | null;
  error?: string;
  /** A late_payment event's credit (what `paycue webhooks redeliver` takes for it). */
  creditId?: string;
  durationMs: number;
  retryAt?: number;
  /** Seconds from the decision to this successful delivery. */
  latencySec?: number;
}

export class Events {
  constructor(
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  transactionCreated(tx: { id: string; amountTiyin: number; card: string | null }): void {
    this.metrics.transactions.inc({ event: 'created' });
    this.log.info({ transaction_id: tx.id, amount_tiyin: tx.amountTiyin, card: tx.card }, 'transaction created');
  }

  /** A create answered 409: every amount within LIMIT steps is taken. */
  noFreeAmount(requestedSom: number, card: string | null): void {
    this.metrics.noFreeAmount.inc();
    this.log.warn({ requested_amount: requestedSom, card }, 'no free amount within LIMIT steps; create refused (409)');
  }

  transactionCancelled(id: string): void {
    this.metrics.transactions.inc({ event: 'cancelled' });
    this.log.info({ transaction_id: id }, 'transaction cancelled by the merchant');
  }

  transactionsExpired(ids: string[]): void {
    if (ids.length === 0) return;
    this.metrics.transactions.inc({ event: 'expired' }, ids.length);
    for (const id of ids) this.log.info({ transaction_id: id }, 'transaction expired');
  }

  botMessageParsed(messageKey: string, verdict: ParseResult): void {
    this.metrics.botMessages.inc({ verdict: verdict.credit ? 'credit' : verdict.reason });
    if (!verdict.credit) this.log.debug({ message_key: messageKey, reason: verdict.reason }, 'bot message is not a credit');
  }

  unwatchedCredit(messageKey: string, sender: number): void {
    this.log.info({ message_key: messageKey, sender }, 'credit from a bot that is not watched; ignored');
  }

  creditProcessed(credit: CreditFacts, out: CreditOutcome): void {
    const fields = {
      message_key: credit.messageKey,
      amount: formatSom(credit.amountTiyin),
      amount_tiyin: credit.amountTiyin,
      last4: credit.last4,
      result: out.result,
      transaction_id: out.transactionId,
      detail: out.detail,
    };
    this.metrics.credits.inc({ result: out.result === 'already_processed' ? 'duplicate' : out.result });
    switch (out.result) {
      case 'matched':
        this.metrics.transactions.inc({ event: 'confirmed' });
        this.log.info(fields, 'credit matched; transaction confirmed');
        return;
      case 'already_processed':
        this.log.info({ ...fields, previous: out.previous }, 'message already processed; nothing changed');
        return;
      default:
        // no_match / late / already_confirmed / ambiguous: money arrived that confirms nothing: a person must settle it.
        this.log.warn({ ...fields, credit_id: out.creditId }, 'credit matched no pending transaction; open in `paycue credits list`');
    }
  }

  /** A person settled an open credit (API, CLI or an alert button). */
  creditSettled(a: { creditId: string; how: 'attached' | 'dismissed'; transactionId?: string; by: string }): void {
    this.metrics.creditsSettled.inc({ how: a.how });
    if (a.how === 'attached') this.metrics.transactions.inc({ event: 'confirmed' });
    this.log.info({ credit_id: a.creditId, transaction_id: a.transactionId, by: a.by }, `credit ${a.how} by hand`);
  }

  transactionConfirmedByHand(a: { transactionId: string; by: string }): void {
    this.metrics.transactions.inc({ event: 'confirmed' });
    this.log.info({ transaction_id: a.transactionId, by: a.by }, 'transaction confirmed by hand');
  }

  webhookAttempt(decision: AttemptDecision, a: AttemptFacts): void {
    // 'stale': another daemon took the entry over and decides; 'gone': the record expired.
    this.metrics.webhookAttempts.inc({ outcome: decision === 'stale' || decision === 'gone' ? 'superseded' : decision });
    this.metrics.webhookAttemptDuration.observe(a.durationMs / 1000);
    const fields = {
      transaction_id: a.transactionId,
      ...(a.creditId ? { credit_id: a.creditId } : {}),
      action: a.action,
      attempts: a.attempts,
      status: a.status,
      error: a.error,
      duration_ms: a.durationMs,
    };
    switch (decision) {
      case 'gone':
        this.log.warn({ transaction_id: a.transactionId }, 'the transaction record expired during delivery; nothing recorded');
        return;
      case 'delivered':
        if (a.latencySec !== undefined) this.metrics.webhookLatency.observe(a.latencySec);
        this.log.info(fields, 'webhook delivered');
        return;
      case 'retry':
        this.log.warn({ ...fields, retry_at: a.retryAt === undefined ? undefined : new Date(a.retryAt).toISOString() }, 'webhook attempt failed; retry scheduled');
        return;
      case 'failed':
        // The alert bot hears of it from the outbox entry written with the failure (attempt-result.lua).
        this.log.error(fields, 'webhook failed after its last retry; `paycue webhooks redeliver` can send it again');
        return;
      case 'stale':
        return;
    }
  }
}
