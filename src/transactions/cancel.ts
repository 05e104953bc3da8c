// pending → cancelled, by the merchant or by expiry; the script makes a repeat a no-op.
import { auditEntry, type Actor } from '../credits/audit.js';
import type { CancelOutcome } from '../redis/commands.js';
import type { TxContext } from './context.js';
import { getTransaction } from './get.js';

export type { CancelOutcome };

export function cancelTransaction(
  ctx: TxContext,
  id: string,
  card: string,
  reason: 'expired' | 'cancelled',
  onlyIfDue: boolean,
  /** The transaction's `idem` (its Idempotency-Key's name), so the key expires with the record. */
  idem = '',
  /** Who asked for it and why (none for an expiry): recorded in the transaction's audit trail. */
  by?: { actor: Actor; why: string },
): Promise<CancelOutcome> {
  const { quarantineMs, keepMs } = ctx.rules;
  const now = ctx.now();
  return ctx.commands.cancel({
    txId: id, card, idem, reason, onlyIfDue, expiry: ctx.rules.expiry, quarantineMs, keepMs,
    ...(by ? { audit: auditEntry(now, by.actor, 'cancel', by.why, { tx: id }) } : {}),
  });
}

export type CancelByHandResult = { ok: true } | { ok: false; status: 404 | 409; detail: string };

/** A person cancels a pending transaction (the API, the CLI): its `cancel` webhook goes out. */
export async function cancelByHand(ctx: TxContext, id: string, actor: Actor, why: string): Promise<CancelByHandResult> {
  const tx = await getTransaction(ctx, id);
  if (!tx) return { ok: false, status: 404, detail: 'transaction not found' };
  const outcome = await cancelTransaction(ctx, id, tx.card, 'cancelled', false, tx.idem, { actor, why });
  if (outcome === 'unknown') return { ok: false, status: 404, detail: 'transaction not found' };
  if (outcome !== 'cancelled') return { ok: false, status: 409, detail: 'transaction is no longer pending' };
  return { ok: true };
}
