import { scrubUrls } from '../log/logger.js';
import type { TxContext } from './context.js';
import { fromHash, type AttemptRecord, type Transaction } from './record.js';

/** `forWrite`: read where the writes go (a decision follows, or the answer to a write): during a
 * failover the read connection may still be on the old primary for a moment. */
export async function getTransaction(ctx: TxContext, id: string, o: { forWrite?: boolean } = {}): Promise<Transaction | null> {
  return fromHash(await ctx.commands.hash(ctx.keys.tx(id), o.forWrite ?? false));
}

/** An attempt as shown to people: an error text never carries a URL's userinfo or query. */
export const shownAttempt = (a: AttemptRecord): AttemptRecord => (a.error ? { ...a, error: scrubUrls(a.error) } : a);

/** The transaction with its webhook attempt log, in one round trip. */
export async function getTransactionWithAttempts(
  ctx: TxContext,
  id: string,
): Promise<{ tx: Transaction; attempts: AttemptRecord[] } | null> {
  const res = await ctx.redis
    .multi()
    .hgetall(ctx.keys.tx(id))
    .lrange(ctx.keys.attempts(id), 0, -1)
    .exec();
  const hash = (res?.[0]?.[1] ?? {}) as Record<string, string>;
  const tx = fromHash(hash);
  if (!tx) return null;
  const list = (res?.[1]?.[1] ?? []) as string[];
  return { tx, attempts: list.map((s) => shownAttempt(JSON.parse(s) as AttemptRecord)) };
}
