// The pending transactions an open credit's alert offers to attach it to ("Attach to …"): on the
// card the money went to, with an amount within ATTACH_TOLERANCE of the credit's, closest first.
// Read from the cards' amount tables (sorted by amount) within that window, never a scan.
import { IMPLICIT_CARD } from '../redis/keys.js';
import type { TxContext } from '../transactions/context.js';
import { TX_FIELDS, fromHash, type Transaction } from '../transactions/record.js';
import type { AttachTolerance } from '../config/env.js';

/** Amounts read on each side per card: quarantined ones (closed orders) are in the tables too. */
const EACH_SIDE = 10;

/** How far from `amountTiyin` an order's amount may be (in tiyin) to be plausible for it. */
export function toleranceTiyin(amountTiyin: number, t: AttachTolerance): number {
  if ('tiyin' in t) return t.tiyin;
  // BigInt: 10^14 tiyin × 10^4 would pass 2^53.
  return Number((BigInt(amountTiyin) * BigInt(t.percentHundredths)) / 10_000n);
}

/** The cards a credit may have paid: its own (when this daemon accepts it), any when it names none. */
function cardsFor(cards: string[], last4: string | null): string[] {
  if (cards.length === 0) return [IMPLICIT_CARD];
  if (last4 === null) return cards;
  return cards.includes(last4) ? [last4] : [];
}

export async function closestPending(
  ctx: TxContext,
  amountTiyin: number,
  last4: string | null,
  tolerance: AttachTolerance,
  count = 3,
): Promise<Transaction[]> {
  const names = cardsFor(ctx.rules.cards, last4);
  if (names.length === 0) return [];
  const within = toleranceTiyin(amountTiyin, tolerance);
  const p = ctx.redis.pipeline();
  for (const c of names) {
    p.zrangebyscore(ctx.keys.amounts(c), amountTiyin, amountTiyin + within, 'LIMIT', 0, EACH_SIDE);
    p.zrevrangebyscore(ctx.keys.amounts(c), `(${amountTiyin}`, Math.max(0, amountTiyin - within), 'LIMIT', 0, EACH_SIDE);
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
    .filter((t): t is Transaction => t !== null && t.state === 'pending' && Math.abs(t.amountTiyin - amountTiyin) <= within)
    .sort((a, b) => Math.abs(a.amountTiyin - amountTiyin) - Math.abs(b.amountTiyin - amountTiyin) || a.createdAt - b.createdAt)
    .slice(0, count);
}
