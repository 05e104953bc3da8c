// One pass over what is due: expire pending transactions past their deadline, and end
// quarantines. Each item is claimed by its own script, so several daemons sharing a Redis
// may sweep at once and every transaction is still cancelled exactly once.
import { cancelTransaction } from './cancel.js';
import { trimTransactionIndexes } from './list.js';
import { trimCredits } from '../credits/trim.js';
import type { TxContext } from './context.js';

const BATCH = 200;

export interface SweepResult {
  /** Transactions this pass cancelled (another daemon's wins are not listed). */
  expired: string[];
  released: number;
}

/** `expire: false` holds expiry back (the bank's messages cannot be read right now) but still
 * ends quarantines. */
export async function sweepOnce(ctx: TxContext, opts: { expire?: boolean } = {}): Promise<SweepResult> {
  const { redis, keys } = ctx;
  const now = ctx.now();
  const expired: string[] = [];
  const due = opts.expire === false ? [] : await redis.zrangebyscore(keys.deadlines, '-inf', now, 'LIMIT', 0, BATCH);
  if (due.length > 0) {
    const pipe = redis.pipeline();
    for (const id of due) pipe.hmget(keys.tx(id), 'card', 'idem');
    const fields = (await pipe.exec()) ?? [];
    for (const [i, id] of due.entries()) {
      const [card, idem] = (fields[i]?.[1] as (string | null)[] | undefined) ?? [];
      if ((await cancelTransaction(ctx, id, card ?? '_', 'expired', true, idem ?? '')) === 'cancelled') expired.push(id);
    }
  }
  // Every ended quarantine, batch after batch: after a burst, amounts must not stay held long
  // past their quarantine. A batch's calls go out together (one round trip, not BATCH).
  let released = 0;
  for (;;) {
    const ended = await ctx.commands.endedQuarantines(now, BATCH);
    const replies = await Promise.all(ended.map((member) => ctx.commands.release(member)));
    released += replies.filter(Boolean).length;
    if (ended.length < BATCH) break;
  }
  // Failed deliveries are listed as long as their records live (7 days).
  await redis.zremrangebyscore(keys.failed, '-inf', now - ctx.rules.keepMs);
  await trimTransactionIndexes(ctx, now);
  await trimCredits(ctx, now);
  return { expired, released };
}
