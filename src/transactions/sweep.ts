// One pass over what is due: expire pending transactions whose deadline (plus PAYMENT_GRACE)
// the observation watermark has passed, and end quarantines. Each item is claimed by its own
// script, which checks the rule again, so several daemons sharing a Redis may sweep at once and
// every transaction is still cancelled exactly once, and never before its payment could be seen.
import { cancelTransaction } from './cancel.js';
import { trimTransactionIndexes } from './list.js';
import { trimCredits } from '../credits/trim.js';
import type { TxContext } from './context.js';
import type { TxField } from '../redis/fields.js';

const BATCH = 200;

export interface ExpiryState {
  /** The shared clock when the pass began (ms). */
  now: number;
  /** How far the watermark is behind the clock (ms); null while nothing may expire at all. */
  lagMs: number | null;
  /** Why nothing may expire: no watcher has published a watermark yet, or a bot's is missing. */
  why: '' | 'no_watcher' | 'not_seen';
  /** The oldest deadline past its grace by the clock that the watermark has not reached: a
   * chat read now would let it expire (the watcher's holder starts one). */
  waitingDeadline: number | null;
}

export interface SweepResult {
  /** Transactions this pass cancelled (another daemon's wins are not listed). */
  expired: string[];
  /** Due transactions held for a person (created before a bot's cursor began). */
  held: string[];
  released: number;
  expiry: ExpiryState;
}

export async function sweepOnce(ctx: TxContext): Promise<SweepResult> {
  const { redis, keys } = ctx;
  const expired: string[] = [];
  const held: string[] = [];
  // Page by page: cancelled ones leave the deadlines, those that stay (held for a person, or
  // found not due after all) are skipped, so a backlog clears in one pass however many are held.
  let skip = 0;
  let view = await ctx.commands.expiryDue(ctx.rules.expiry, BATCH, skip);
  for (;;) {
    const due = view.due;
    const pipe = redis.pipeline();
    for (const id of due) pipe.hmget(keys.tx(id), ...(['card', 'idem', 'held'] satisfies TxField[]));
    const fields = due.length > 0 ? ((await pipe.exec()) ?? []) : [];
    for (const [i, id] of due.entries()) {
      const [card, idem, heldWhy] = (fields[i]?.[1] as (string | null)[] | undefined) ?? [];
      // A held one was alerted once, by the script that held it: no call to repeat that.
      const r = heldWhy ? 'held' : await cancelTransaction(ctx, id, card ?? '_', 'expired', true, idem ?? '');
      if (r === 'cancelled') expired.push(id);
      else if (r === 'held') held.push(id);
      if (r === 'held' || r === 'not_due') skip++;
    }
    if (due.length < BATCH) break;
    view = { ...(await ctx.commands.expiryDue(ctx.rules.expiry, BATCH, skip)), now: view.now };
  }
  const now = view.now;
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
  return {
    expired,
    held,
    released,
    expiry: { now, lagMs: view.cutoff === null ? null : Math.max(0, now - view.cutoff), why: view.why, waitingDeadline: view.waitingDeadline },
  };
}
