// The stored transaction hash and its public JSON shape (README: HTTP API).
import type { TxField, TxHash } from '../redis/fields.js';
import { IMPLICIT_CARD } from '../redis/keys.js';
import { publicAmount, type AmountStep } from '../money/amount.js';

export type TxState = 'pending' | 'confirmed' | 'cancelled';
export type WebhookState = 'pending' | 'delivered' | 'failed';

export interface Transaction {
  id: string;
  amountTiyin: number;
  requestedTiyin: number;
  /** Internal card name: a last-4, or IMPLICIT_CARD. */
  card: string;
  metadata?: unknown;
  state: TxState;
  createdAt: number;
  expiresAt: number;
  confirmedAt?: number;
  cancelledAt?: number;
  cancelReason?: string;
  webhookState: WebhookState;
  webhookAttempts: number;
  webhookRound: number;
  /** The decided event's webhook-id (absent on records decided before paycue stored it). */
  webhookId?: string;
  /** Name of its Idempotency-Key ('' when none). */
  idem: string;
  /** Pay page options given at create (success_url, cancel_url, lang). */
  page?: Record<string, string>;
  /** When a credit arrived after the transaction was cancelled. */
  lateCreditAt?: number;
  /** How a confirm came about: a matching bank message, or a person (attach, manual confirm). */
  resolution?: 'auto' | 'manual';
  confirmedBy?: string;
  confirmReason?: string;
  /** The credit record that confirmed it. */
  creditId?: string;
  /** What the attached credit brought (a confirm by attach); `amountTiyin` stays the order's. */
  receivedTiyin?: number;
}

/** Every field fromHash reads, for reading many records in one call. */
export const TX_FIELDS = [
  'id', 'amount', 'requested', 'card', 'state', 'created_at', 'expires_at', 'wh_state', 'wh_attempts', 'wh_round', 'idem', 'metadata',
  'confirmed_at', 'cancelled_at', 'cancel_reason', 'resolution', 'confirmed_by', 'confirm_reason', 'credit_id', 'received',
] as const satisfies readonly TxField[];

export function fromHash(h: TxHash): Transaction | null {
  if (!h.id || !h.state) return null;
  const t: Transaction = {
    id: h.id,
    amountTiyin: Number(h.amount),
    requestedTiyin: Number(h.requested),
    card: h.card ?? IMPLICIT_CARD,
    state: h.state as TxState,
    createdAt: Number(h.created_at),
    expiresAt: Number(h.expires_at),
    webhookState: (h.wh_state ?? 'pending') as WebhookState,
    webhookAttempts: Number(h.wh_attempts ?? 0),
    webhookRound: Number(h.wh_round ?? 0),
    ...(h.wh_id ? { webhookId: h.wh_id } : {}),
    idem: h.idem ?? '',
  };
  if (h.metadata) t.metadata = JSON.parse(h.metadata);
  if (h.confirmed_at) t.confirmedAt = Number(h.confirmed_at);
  if (h.cancelled_at) t.cancelledAt = Number(h.cancelled_at);
  if (h.cancel_reason) t.cancelReason = h.cancel_reason;
  if (h.page) t.page = JSON.parse(h.page) as Record<string, string>;
  if (h.late_credit_at) t.lateCreditAt = Number(h.late_credit_at);
  if (h.state === 'confirmed') t.resolution = h.resolution === 'manual' ? 'manual' : 'auto';
  if (h.confirmed_by) t.confirmedBy = h.confirmed_by;
  if (h.confirm_reason) t.confirmReason = h.confirm_reason;
  if (h.credit_id) t.creditId = h.credit_id;
  if (h.received) t.receivedTiyin = Number(h.received);
  return t;
}

export function publicCard(card: string): string | null {
  return card === IMPLICIT_CARD ? null : card;
}

const iso = (ms: number) => new Date(ms).toISOString();

export interface AttemptRecord {
  at: string;
  status: number | null;
  error?: string;
  duration_ms: number;
}

/** `amount_received` (shaped like `amount`) and its tiyin, on a confirm by an attached credit. */
export function received(t: Transaction, step: AmountStep): { amount_received?: number; amount_received_tiyin?: number } {
  if (t.receivedTiyin === undefined) return {};
  return { amount_received: publicAmount(t.receivedTiyin, step), amount_received_tiyin: t.receivedTiyin };
}

export function toPublic(t: Transaction, step: AmountStep, attempts: AttemptRecord[] = []) {
  return {
    transaction_id: t.id,
    amount: publicAmount(t.amountTiyin, step),
    amount_tiyin: t.amountTiyin,
    requested_amount: publicAmount(t.requestedTiyin, step),
    card: publicCard(t.card),
    state: t.state,
    created_at: iso(t.createdAt),
    expires_at: iso(t.expiresAt),
    ...(t.confirmedAt !== undefined ? { confirmed_at: iso(t.confirmedAt) } : {}),
    ...(t.resolution !== undefined ? { resolution: t.resolution } : {}),
    ...(t.confirmedBy !== undefined ? { confirmed_by: t.confirmedBy, confirm_reason: t.confirmReason ?? null } : {}),
    ...(t.creditId !== undefined ? { credit_id: t.creditId } : {}),
    ...received(t, step),
    ...(t.cancelledAt !== undefined ? { cancelled_at: iso(t.cancelledAt), cancel_reason: t.cancelReason } : {}),
    ...(t.metadata !== undefined ? { metadata: t.metadata } : {}),
    webhook: { state: t.webhookState, attempts: t.webhookAttempts, attempt_log: attempts },
  };
}
