// The stored credit hash and its public JSON shape (README: When money doesn't match).
import { publicAmount, type AmountStep } from '../money/amount.js';
import type { CreditField, CreditHash } from '../redis/fields.js';

export type CreditVerdict = 'matched' | 'no_match' | 'late' | 'already_confirmed' | 'ambiguous';
export type CreditState = 'open' | 'resolved';

export const CREDIT_FIELDS = [
  'id', 'bot', 'message_key', 'amount', 'last4', 'received_at', 'recorded_at', 'verdict', 'tx', 'text', 'state',
  'res_kind', 'res_tx', 'res_by', 'res_at', 'res_reason', 'wh_state', 'wh_attempts', 'wh_round',
] as const satisfies readonly CreditField[];

export interface CreditRecord {
  id: string;
  bot: string;
  messageKey: string;
  amountTiyin: number;
  last4: string | null;
  receivedAt: number;
  verdict: CreditVerdict;
  /** The transaction holding the amount when it arrived (late / already_confirmed / matched). */
  txId: string | null;
  /** Null once trimmed (30 days) or for a sandbox amount. */
  text: string | null;
  state: CreditState;
  resolution: null | { kind: 'auto' | 'attached' | 'dismissed'; transactionId?: string; by: string; at: number; reason?: string };
  /** Its late_payment event; `round`: attempts made before the latest redelivery. */
  latePayment?: { state: string; attempts: number; round: number };
}

export function creditFromHash(h: CreditHash | null): CreditRecord | null {
  if (!h || !h.id || !h.state) return null;
  return {
    id: h.id,
    bot: h.bot ?? '',
    messageKey: h.message_key ?? '',
    amountTiyin: Number(h.amount),
    last4: h.last4 ? h.last4 : null,
    receivedAt: Number(h.received_at),
    verdict: h.verdict as CreditVerdict,
    txId: h.tx ? h.tx : null,
    text: h.text ? h.text : null,
    state: h.state as CreditState,
    resolution:
      h.state === 'resolved'
        ? {
            kind: h.res_kind as 'auto' | 'attached' | 'dismissed',
            ...(h.res_tx ? { transactionId: h.res_tx } : {}),
            by: h.res_by ?? '',
            at: Number(h.res_at),
            ...(h.res_reason ? { reason: h.res_reason } : {}),
          }
        : null,
    ...(h.wh_state ? { latePayment: { state: h.wh_state, attempts: Number(h.wh_attempts ?? 0), round: Number(h.wh_round ?? 0) } } : {}),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

export function creditToPublic(c: CreditRecord, step: AmountStep) {
  return {
    credit_id: c.id,
    bot: c.bot,
    amount: publicAmount(c.amountTiyin, step),
    amount_tiyin: c.amountTiyin,
    last4: c.last4,
    received_at: iso(c.receivedAt),
    verdict: c.verdict,
    state: c.state,
    resolution: c.resolution
      ? {
          kind: c.resolution.kind,
          ...(c.resolution.transactionId ? { transaction_id: c.resolution.transactionId } : {}),
          by: c.resolution.by,
          at: iso(c.resolution.at),
          ...(c.resolution.reason ? { reason: c.resolution.reason } : {}),
        }
      : null,
    text: c.text,
    transaction_id: c.txId,
    message_key: c.messageKey,
    ...(c.latePayment ? { late_payment_webhook: { state: c.latePayment.state, attempts: c.latePayment.attempts } } : {}),
  };
}

export type PublicCredit = ReturnType<typeof creditToPublic>;
