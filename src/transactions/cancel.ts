// pending → cancelled, by the merchant or by expiry; the script makes a repeat a no-op.
import { runScript } from '../redis/scripts.js';
import type { TxContext } from './context.js';

export type CancelOutcome = 'cancelled' | 'not_pending' | 'not_due' | 'unknown';

export async function cancelTransaction(
  ctx: TxContext,
  id: string,
  card: string,
  reason: 'expired' | 'cancelled',
  onlyIfDue: boolean,
): Promise<CancelOutcome> {
  const { keys, rules } = ctx;
  const reply = (await runScript(
    ctx.redis,
    'cancel',
    [keys.tx(id), keys.deadlines, keys.cardLoad, keys.quarantine, keys.events, keys.amounts(card), keys.owners(card)],
    [id, ctx.now(), reason, rules.quarantineMs, rules.keepMs, onlyIfDue ? '1' : '0', keys.payChannel],
  )) as string[];
  return reply[0] as CancelOutcome;
}
