// Operator view of deliveries: what failed, and queueing one again (same webhook-id).
import type { RedeliverResult } from '../redis/commands.js';
import type { TxContext } from '../transactions/context.js';
import { getTransactionWithAttempts, shownAttempt } from '../transactions/get.js';
import { publicCard, type AttemptRecord } from '../transactions/record.js';
import { getCredit, parseCreditId } from '../credits/get.js';
import { auditEntry, type Actor } from '../credits/audit.js';

export interface FailedDelivery {
  transaction_id: string;
  action: 'confirm' | 'cancel' | 'late_payment' | null;
  /** For a late_payment event: its credit record. */
  credit_id?: string;
  failed_at: string;
  attempts: number;
  last_error: string | null;
  amount_tiyin: number | null;
  card: string | null;
}

export async function listFailed(ctx: TxContext, limit = 100): Promise<FailedDelivery[]> {
  const rows = await ctx.redis.zrevrange(ctx.keys.failed, 0, limit - 1, 'WITHSCORES');
  const out: FailedDelivery[] = [];
  for (let i = 0; i + 1 < rows.length; i += 2) {
    const id = rows[i] as string;
    if (id.startsWith('cr_')) {
      // A late_payment event, tracked on its credit record.
      const credit = await getCredit(ctx, id);
      const last = parseAttempt(await ctx.redis.lindex(ctx.keys.creditAttempts(id), -1));
      out.push({
        transaction_id: credit?.txId ?? id, action: 'late_payment', failed_at: new Date(Number(rows[i + 1])).toISOString(),
        attempts: credit?.latePayment?.attempts ?? 0, last_error: last ? (last.error ?? `HTTP ${last.status}`) : null,
        amount_tiyin: credit?.amountTiyin ?? null, card: credit?.last4 ?? null, credit_id: id,
      });
      continue;
    }
    const found = await getTransactionWithAttempts(ctx, id);
    const last = found?.attempts.at(-1);
    out.push({
      transaction_id: id,
      action: found ? (found.tx.state === 'confirmed' ? 'confirm' : 'cancel') : null,
      failed_at: new Date(Number(rows[i + 1])).toISOString(),
      attempts: found?.tx.webhookAttempts ?? 0,
      last_error: last ? (last.error ?? `HTTP ${last.status}`) : null,
      amount_tiyin: found?.tx.amountTiyin ?? null,
      card: found ? publicCard(found.tx.card) : null,
    });
  }
  return out;
}

export type { RedeliverResult };

/** Queues `id`'s event again: a transaction's confirm or cancel, or a credit's late_payment. */
export function redeliver(ctx: TxContext, id: string, actor: Actor, force = false): Promise<RedeliverResult> {
  const onCredit = parseCreditId(id) !== null;
  const now = ctx.now();
  return ctx.commands.redeliver({
    id, force, onCredit,
    audit: auditEntry(now, actor, 'redeliver', force ? 'webhook queued again (--force)' : 'webhook queued again', onCredit ? { credit: id } : { tx: id }),
    auditKeepMs: onCredit ? ctx.rules.creditKeepMs : ctx.rules.keepMs,
  });
}

/** Most failed deliveries one `--all-failed` run queues again (the failed set only holds 7 days). */
const REDELIVER_ALL_MAX = 100_000;

/** Queues every delivery that failed at or after `sinceMs` again, oldest first; counts by result. */
export async function redeliverFailed(ctx: TxContext, actor: Actor, sinceMs = 0): Promise<Record<RedeliverResult, number>> {
  const counts: Record<RedeliverResult, number> = { queued: 0, unknown: 0, not_decided: 0, in_progress: 0 };
  for (const id of await ctx.commands.failedSince(sinceMs, REDELIVER_ALL_MAX)) counts[await redeliver(ctx, id, actor)]++;
  return counts;
}

function parseAttempt(json: string | null): AttemptRecord | null {
  return json ? shownAttempt(JSON.parse(json) as AttemptRecord) : null;
}
