// Settling an open credit by hand: attach it to a pending transaction (which it confirms) or
// dismiss it. The same operations serve the API, the CLI and the alert bot's buttons.
import type { TxContext } from '../transactions/context.js';
import { getTransaction } from '../transactions/get.js';
import { auditEntry, type Actor } from './audit.js';

export type AttachResult =
  /** `amountTiyin`: the order's; `receivedTiyin`: what the credit brought (they may differ). */
  | { ok: true; amountTiyin: number; receivedTiyin: number }
  | { ok: false; status: 404 | 409; detail: string };

export async function attachCredit(ctx: TxContext, creditId: string, txId: string, actor: Actor, reason: string): Promise<AttachResult> {
  const { rules } = ctx;
  for (let attempt = 0; attempt < 5; attempt++) {
    const tx = await getTransaction(ctx, txId, { forWrite: true });
    if (!tx) return { ok: false, status: 404, detail: 'transaction not found' };
    const now = ctx.now();
    const r = await ctx.commands.attach({
      creditId, txId, card: tx.card, idem: tx.idem, quarantineMs: rules.quarantineMs, keepMs: rules.keepMs, creditKeepMs: rules.creditKeepMs,
      // Its alert is always edited by the alert bot's loop, a button's too: that loop edits it
      // again when the webhook is delivered, and one loop doing both keeps the newest state last.
      by: actor.by, reason, now, audit: auditEntry(now, actor, 'attach', reason, { credit: creditId, tx: txId }), editAlert: true,
    });
    switch (r.result) {
      case 'attached':
        return { ok: true, amountTiyin: tx.amountTiyin, receivedTiyin: r.receivedTiyin };
      case 'stale':
        continue;
      case 'credit_unknown':
        return { ok: false, status: 404, detail: 'credit not found' };
      case 'tx_unknown':
        return { ok: false, status: 404, detail: 'transaction not found' };
      case 'credit_resolved':
        return { ok: false, status: 409, detail: `credit is already settled (${r.kind})` };
      case 'tx_not_pending':
        return { ok: false, status: 409, detail: `transaction is no longer pending (${r.state})` };
    }
  }
  throw new Error('attach: the transaction kept changing; giving up after 5 tries');
}

export type DismissResult = { ok: true } | { ok: false; status: 404 | 409; detail: string };

export async function dismissCredit(ctx: TxContext, creditId: string, actor: Actor, reason: string): Promise<DismissResult> {
  const now = ctx.now();
  const r = await ctx.commands.dismiss({
    creditId, creditKeepMs: ctx.rules.creditKeepMs, by: actor.by, reason, now, audit: auditEntry(now, actor, 'dismiss', reason, { credit: creditId }),
    editAlert: !actor.viaAlert,
  });
  if (r.result === 'resolved') return { ok: false, status: 409, detail: `credit is already settled (${r.kind})` };
  if (r.result === 'unknown') return { ok: false, status: 404, detail: 'credit not found' };
  return { ok: true };
}
