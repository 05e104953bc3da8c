// GET /transactions and `paycue transactions list`: newest first by created_at, from the
// transaction indexes (every one, and one per state) kept by the scripts that change state.
// A page costs one ZRANGE and one read of its records, however deep; `card` and `amount`
// filters read at most a few chunks of 200 per page (README: Transaction list).
import { readPage, type Page, type PageQuery } from '../lists/page.js';
import type { TxContext } from './context.js';
import { fromHash, toPublic, TX_FIELDS, type TxState } from './record.js';

export interface TransactionQuery extends PageQuery {
  state?: TxState;
  /** Internal card name (a last-4, or the implicit card). */
  card?: string;
  amountTiyin?: number;
}

export type ListedTransaction = Omit<ReturnType<typeof toPublic>, 'webhook'> & { webhook: { state: string; attempts: number } };

export async function listTransactions(ctx: TxContext, q: TransactionQuery): Promise<Page<ListedTransaction>> {
  const k = ctx.keys;
  const index = q.state ? k.txState(q.state) : k.txIndex;
  const filtered = q.card !== undefined || q.amountTiyin !== undefined;
  return readPage(
    ctx.redis,
    index,
    q,
    async (ids) => {
      const rows = await ctx.commands.rows(ids.map((id) => k.tx(id)), [...TX_FIELDS]);
      return rows.map((h) => {
        const tx = h ? fromHash(h) : null;
        if (!tx) return null; // expired since it was indexed
        if (q.state && tx.state !== q.state) return null;
        if (q.card !== undefined && tx.card !== q.card) return null;
        if (q.amountTiyin !== undefined && tx.amountTiyin !== q.amountTiyin) return null;
        const { webhook, ...rest } = toPublic(tx, ctx.rules.step);
        return { ...rest, webhook: { state: webhook.state, attempts: webhook.attempts } };
      });
    },
    { filtered },
  );
}

/** Index entries older than the records they point to (closed records live `keepMs`). */
export async function trimTransactionIndexes(ctx: TxContext, now: number): Promise<void> {
  const k = ctx.keys;
  // A record closes at most a day or so after it was created (expiry held while Telegram is down
  // can stretch that): entries twice the retention old point at nothing any more.
  const before = String(now - 2 * ctx.rules.keepMs);
  await ctx.redis
    .multi()
    .zremrangebyscore(k.txIndex, '-inf', before)
    .zremrangebyscore(k.txState('confirmed'), '-inf', before)
    .zremrangebyscore(k.txState('cancelled'), '-inf', before)
    .exec();
}
