// The webhook body (README: Webhooks), built from the stored transaction.
import { publicAmount, type AmountStep } from '../money/amount.js';
import { publicCard, received, type Transaction } from '../transactions/record.js';

export type WebhookAction = 'confirm' | 'cancel' | 'late_payment';

/** The id a decided transaction's event goes out with: `msg_<tx>_<action>`, written by the
 * deciding script. Stable across every attempt and redelivery, and different for the other
 * action: if Redis loses a confirm (AOF tail) and the transaction later expires, its cancel must
 * not be dropped as a duplicate by a receiver deduplicating on webhook-id. An event decided
 * before paycue stored it keeps the id its earlier attempts had (`msg_<tx>`). */
export function eventWebhookId(tx: Transaction): string {
  return tx.webhookId ?? `msg_${tx.id}`;
}

/** A late payment is an event of its credit record: one id per credit. */
export function latePaymentWebhookId(creditId: string): string {
  return `msg_${creditId}_late_payment`;
}

export function decidedAt(tx: Transaction, action: WebhookAction): number {
  return (action === 'confirm' ? tx.confirmedAt : tx.cancelledAt) ?? tx.createdAt;
}

/** The `late_payment` event (WEBHOOK_LATE_PAYMENT=true): money for a transaction already
 * cancelled. Its webhook-id is the credit's: `msg_<credit id>_late_payment`. */
export function latePaymentBody(tx: Transaction, credit: { id: string; amountTiyin: number; last4: string | null; receivedAt: number }, step: AmountStep): string {
  return JSON.stringify({
    action: 'late_payment',
    transaction_id: tx.id,
    amount: publicAmount(credit.amountTiyin, step),
    amount_tiyin: credit.amountTiyin,
    credit_id: credit.id,
    card: publicCard(tx.card),
    ...(tx.metadata !== undefined ? { metadata: tx.metadata } : {}),
    occurred_at: new Date(credit.receivedAt).toISOString(),
  });
}

export function webhookBody(tx: Transaction, action: WebhookAction, step: AmountStep): string {
  return JSON.stringify({
    action,
    amount: publicAmount(tx.amountTiyin, step),
    amount_tiyin: tx.amountTiyin,
    transaction_id: tx.id,
    card: publicCard(tx.card),
    ...(tx.metadata !== undefined ? { metadata: tx.metadata } : {}),
    occurred_at: new Date(decidedAt(tx, action)).toISOString(),
    ...(action === 'confirm' ? { resolution: tx.resolution ?? 'auto' } : {}),
    // An attached credit: what arrived, beside the order's `amount` (they may differ).
    ...(action === 'confirm' && tx.receivedTiyin !== undefined ? { credit_id: tx.creditId, ...received(tx, step) } : {}),
  });
}
