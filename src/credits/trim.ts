// Credit retention: raw bank texts are trimmed 30 days after they arrived; index entries of
// resolved records that have expired are dropped. Open credits are never dropped.
import type { CreditField } from '../redis/fields.js';
import type { TxContext } from '../transactions/context.js';

const BATCH = 200;

export async function trimCredits(ctx: TxContext, now: number): Promise<void> {
  const k = ctx.keys;
  for (;;) {
    const due = await ctx.redis.zrangebyscore(k.creditsText, '-inf', now, 'LIMIT', 0, BATCH);
    if (due.length === 0) break;
    const m = ctx.redis.multi();
    for (const id of due) m.hdel(k.credit(id), 'text' satisfies CreditField);
    m.zrem(k.creditsText, ...due);
    await m.exec();
    if (due.length < BATCH) break;
  }
  const before = String(now - 2 * ctx.rules.creditKeepMs);
  await ctx.redis.zremrangebyscore(k.creditsResolved, '-inf', before);
  // The all-credits index keeps every open credit, however old: it never drops out of view.
  let offset = 0;
  for (;;) {
    const old = await ctx.redis.zrangebyscore(k.creditsAll, '-inf', before, 'LIMIT', offset, BATCH);
    if (old.length === 0) break;
    const open = (await ctx.redis.zmscore(k.creditsOpen, ...old)) as (string | null)[];
    const gone = old.filter((_, i) => open[i] === null);
    if (gone.length > 0) await ctx.redis.zrem(k.creditsAll, ...gone);
    offset += old.length - gone.length;
    if (old.length < BATCH) break;
  }
}
