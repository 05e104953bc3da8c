// The pending transactions closest in amount to a credit: the alert's "Attach to …" buttons.
// Read from the cards' amount tables (sorted by amount), a few on each side, never a scan.
import { IMPLICIT_CARD } from '../redis/keys.js';
import type { TxContext } from '../transactions/context.js';
import { TX_FIELDS, fromHash, type Transaction } from '../transactions/record.js';

const EACH_SIDE = 6;

export async function closestPending(ctx: TxContext, amountTiyin: number, last4: string | null, count = 3): Promise<Transaction[]> {
  const { cards } = ctx.rules;
  const names = cards.length === 0 ? [IMPLICIT_CARD] : last4 && cards.includes(last4) ? [last4] : cards;
  const p = ctx.redis.pipeline();
  for (const c of names) {
    p.zrangebyscore(ctx.keys.amounts(c), amountTiyin, '+inf', 'LIMIT', 0, EACH_SIDE);
    p.zrevrangebyscore(ctx.keys.amounts(c), `(${amountTiyin}`, '-inf', 'LIMIT', 0, EACH_SIDE);
  }
  const res = (await p.exec()) ?? [];
  const lookups: [string, string][] = [];
  names.forEach((c, i) => {
    for (const list of [res[2 * i]?.[1], res[2 * i + 1]?.[1]] as (string[] | undefined)[]) for (const a of list ?? []) lookups.push([c, a]);
  });
  if (lookups.length === 0) return [];
  const owners = ctx.redis.pipeline();
  for (const [c, a] of lookups) owners.hget(ctx.keys.owners(c), a);
  const ids = ((await owners.exec()) ?? []).map((r) => r[1] as string | null).filter((x): x is string => !!x);
  const rows = await ctx.commands.rows([...new Set(ids)].map((id) => ctx.keys.tx(id)), [...TX_FIELDS]);
  return rows
    .map((h) => (h ? fromHash(h) : null))
    .filter((t): t is Transaction => t !== null && t.state === 'pending')
    .sort((a, b) => Math.abs(a.amountTiyin - amountTiyin) - Math.abs(b.amountTiyin - amountTiyin) || a.createdAt - b.createdAt)
    .slice(0, count);
}
