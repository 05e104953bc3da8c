// pending → cancelled, by the merchant or by expiry; the script makes a repeat a no-op.
import { auditEntry, type Actor } from '../credits/audit.js';
import type { CancelOutcome } from '../redis/commands.js';
import type { TxContext } from './context.js';

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
    txId: id, card, idem, reason, onlyIfDue, now, quarantineMs, keepMs,
    ...(by ? { audit: auditEntry(now, by.actor, 'cancel', by.why, { tx: id }) } : {}),
  });
}
