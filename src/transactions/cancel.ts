// pending → cancelled, by the merchant or by expiry; the script makes a repeat a no-op.
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
): Promise<CancelOutcome> {
  const { quarantineMs, keepMs } = ctx.rules;
  return ctx.commands.cancel({ txId: id, card, idem, reason, onlyIfDue, now: ctx.now(), quarantineMs, keepMs });
}
