// pending → confirmed by a person who saw the money elsewhere; the `confirm` webhook says
// `"resolution": "manual"`. The script keeps exactly one of confirm/cancel.
import { auditEntry, type Actor } from '../credits/audit.js';
import type { TxContext } from './context.js';
import { getTransaction } from './get.js';

export type ConfirmManualResult = { ok: true } | { ok: false; status: 404 | 409; detail: string };

export async function confirmManually(ctx: TxContext, txId: string, actor: Actor, reason: string): Promise<ConfirmManualResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const tx = await getTransaction(ctx, txId, { forWrite: true });
    if (!tx) return { ok: false, status: 404, detail: 'transaction not found' };
    const now = ctx.now();
    const r = await ctx.commands.confirmManual({
      txId, card: tx.card, idem: tx.idem, quarantineMs: ctx.rules.quarantineMs, keepMs: ctx.rules.keepMs,
      by: actor.by, reason, now, audit: auditEntry(now, actor, 'confirm', reason, { tx: txId }),
    });
    if (r.result === 'confirmed') return { ok: true };
    if (r.result === 'unknown') return { ok: false, status: 404, detail: 'transaction not found' };
    if (r.result === 'not_pending') return { ok: false, status: 409, detail: `transaction is no longer pending (${r.state})` };
  }
  throw new Error('confirm: the transaction kept changing; giving up after 5 tries');
}
