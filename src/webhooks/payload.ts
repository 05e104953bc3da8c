// The webhook body (README: Webhooks), built from the stored transaction.
import { publicAmount, type AmountStep } from '../money/amount.js';
import { publicCard, type Transaction } from '../transactions/record.js';

export type WebhookAction = 'confirm' | 'cancel';

/** The id a decided transaction's event goes out with: `msg_<tx>_<action>`, written by the
 * deciding script. Stable across every attempt and redelivery, and different for the other
 * action: if Redis loses a confirm (AOF tail) and the transaction later expires, its cancel must
 * not be dropped as a duplicate by a receiver deduplicating on webhook-id. An event decided
 * before paycue stored it keeps the id its earlier attempts had (`msg_<tx>`). */
export function eventWebhookId(tx: Transaction): string {
  return tx.webhookId ?? `msg_${tx.id}`;
}

export function decidedAt(tx: Transaction, action: WebhookAction): number {
  return (action === 'confirm' ? tx.confirmedAt : tx.cancelledAt) ?? tx.createdAt;
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
  });
}
