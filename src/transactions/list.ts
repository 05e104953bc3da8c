// GET /transactions and `paycue transactions list`: newest first by created_at, from the
// transaction indexes (every one, and the closed ones per state) kept by the scripts that change
// state; pending ones from the deadlines (created_at + TTL), so they cost no extra memory.
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
  const pending = q.state === 'pending';
  const index = q.state === 'pending' ? k.deadlines : q.state ? k.txState(q.state) : k.txIndex;
  // Deadlines are created_at + TTL: the time bounds move with them (records created under another
  // TTL are then placed by their deadline) and are checked again on each record.
  const shift = pending ? ctx.rules.ttlMs : 0;
  const range = {
    ...q,
    ...(q.from !== undefined ? { from: q.from + shift } : {}),
    ...(q.to !== undefined ? { to: q.to + shift } : {}),
  };
  const bounded = q.from !== undefined || q.to !== undefined;
  const filtered = q.card !== undefined || q.amountTiyin !== undefined || (pending && bounded);
  return readPage(
    ctx.redis,
    index,
    range,
    async (ids) => {
      const rows = await ctx.commands.rows(ids.map((id) => k.tx(id)), [...TX_FIELDS]);
      return rows.map((h) => {
        const tx = h ? fromHash(h) : null;
        if (!tx) return null; // expired since it was indexed
        if (q.state && tx.state !== q.state) return null;
        if (q.card !== undefined && tx.card !== q.card) return null;
        if (q.amountTiyin !== undefined && tx.amountTiyin !== q.amountTiyin) return null;
        if ((q.from !== undefined && tx.createdAt < q.from) || (q.to !== undefined && tx.createdAt > q.to)) return null;
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
