// The card registry: cards with a number and holder to show on the pay page, under
// REDIS_PREFIX. One operation per verb, shared by `paycue cards …` and the /cards API.
import type { Actor } from '../credits/audit.js';
import type { TxContext } from '../transactions/context.js';
import { cancelTransaction } from '../transactions/cancel.js';
import { getTransaction } from '../transactions/get.js';
import type { Card, CardPatch, NewCard, StoredCard } from './card.js';

type Ctx = Pick<TxContext, 'redis' | 'keys' | 'commands'>;

function parse(last4: string, json: string, inactive: Set<string>): Card {
  return { ...(JSON.parse(json) as StoredCard), last4, active: !inactive.has(last4) };
}

export async function listCards(ctx: Ctx): Promise<Card[]> {
  const res = await ctx.redis.multi().hgetall(ctx.keys.cards).smembers(ctx.keys.cardsInactive).exec();
  const all = (res?.[0]?.[1] ?? {}) as Record<string, string>;
  const inactive = new Set((res?.[1]?.[1] ?? []) as string[]);
  return Object.keys(all)
    .sort()
    .map((last4) => parse(last4, all[last4] as string, inactive));
}

async function read(ctx: Ctx, last4: string): Promise<{ card: Card; json: string } | null> {
  const res = await ctx.redis.multi().hget(ctx.keys.cards, last4).sismember(ctx.keys.cardsInactive, last4).exec();
  const json = res?.[0]?.[1] as string | null;
  if (!json) return null;
  return { card: parse(last4, json, new Set(res?.[1]?.[1] === 1 ? [last4] : [])), json };
}

export async function getCard(ctx: Ctx, last4: string): Promise<Card | null> {
  return (await read(ctx, last4))?.card ?? null;
}

function stored(c: Omit<StoredCard, 'added_at'> & { added_at?: number }, now: number): string {
  const s: StoredCard = {
    number: c.number,
    holder: c.holder,
    ...(c.label ? { label: c.label } : {}),
    bot: c.bot,
    links: c.links,
    added_at: c.added_at ?? now,
  };
  return JSON.stringify(s);
}

export type AddResult = { kind: 'added'; card: Card } | { kind: 'exists' };

export async function addCard(ctx: Ctx, input: NewCard, now = Date.now()): Promise<AddResult> {
  const last4 = input.number.slice(-4);
  const json = stored(input, now);
  if ((await ctx.commands.cardAdd(last4, json, input.active)) === 'exists') return { kind: 'exists' };
  return { kind: 'added', card: parse(last4, json, new Set(input.active ? [] : [last4])) };
}

export type UpdateResult = { kind: 'updated'; card: Card } | { kind: 'unknown' };

/** Applies a patch; a concurrent change to the same card is retried on the fresh value. */
export async function updateCard(ctx: Ctx, last4: string, patch: CardPatch): Promise<UpdateResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const cur = await read(ctx, last4);
    if (!cur) return { kind: 'unknown' };
    const next = {
      ...cur.card,
      ...(patch.holder !== undefined ? { holder: patch.holder } : {}),
      ...(patch.bot !== undefined ? { bot: patch.bot } : {}),
      ...(patch.links !== undefined ? { links: patch.links } : {}),
      ...(patch.active !== undefined ? { active: patch.active } : {}),
    };
    if (patch.label === null) delete next.label;
    else if (patch.label !== undefined) next.label = patch.label;
    const json = stored(next, next.added_at);
    const r = await ctx.commands.cardUpdate(last4, cur.json, json, next.active);
    if (r === 'unknown') return { kind: 'unknown' };
    if (r === 'updated') return { kind: 'updated', card: parse(last4, json, new Set(next.active ? [] : [last4])) };
  }
  throw new Error(`card ${last4} kept changing; try again`);
}

export type RemoveResult =
  | { kind: 'removed'; cancelled: string[] }
  | { kind: 'unknown' }
  | { kind: 'pending'; pending: number };

/**
 * Refused while the card holds pending transactions, unless `force`: then the card is
 * disabled first (no new reservations), its pending transactions are cancelled (each
 * sends its `cancel` webhook), and it is removed.
 */
/** `configured`: the card is also in CARDS, so it stays usable by its last-4 once unregistered. */
export async function removeCard(ctx: TxContext, last4: string, force: boolean, configured: boolean, actor: Actor): Promise<RemoveResult> {
  const first = await ctx.commands.cardRemove(last4, configured);
  if (first.result !== 'pending') return first.result === 'removed' ? { kind: 'removed', cancelled: [] } : { kind: 'unknown' };
  if (!force) return { kind: 'pending', pending: first.pending };
  if ((await updateCard(ctx, last4, { active: false })).kind === 'unknown') return { kind: 'unknown' };
  const cancelled: string[] = [];
  const owners = await ctx.redis.hvals(ctx.keys.owners(last4));
  for (const id of new Set(owners)) {
    const tx = await getTransaction(ctx, id);
    const by = { actor, why: `card *${last4} removed with --force` };
    if (tx?.state === 'pending' && (await cancelTransaction(ctx, id, last4, 'cancelled', false, tx.idem, by)) === 'cancelled') cancelled.push(id);
  }
  const again = await ctx.commands.cardRemove(last4, configured);
  if (again.result === 'pending') throw new Error(`card ${last4} still holds ${again.pending} pending transactions; try again`);
  return again.result === 'removed' ? { kind: 'removed', cancelled } : { kind: 'unknown' };
}
