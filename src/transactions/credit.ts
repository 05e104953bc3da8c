// Apply one bank credit to the transaction holding exactly that amount. The Telegram
// message key makes a repeat (reconnect, catch-up, a second daemon) change nothing.
import { IMPLICIT_CARD } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import type { TxContext } from './context.js';

export interface CreditInput {
  amountTiyin: number;
  last4: string | null;
  /** Unique per bank message: `<account>:<bot id>:<message id>` from Telegram, `sandbox:…` in the sandbox. */
  messageKey: string;
  bot: string;
}

export type CreditResult =
  | 'matched'
  | 'already_processed'
  | 'no_match'
  | 'late'
  | 'already_confirmed';

export interface CreditOutcome {
  result: CreditResult;
  transactionId?: string;
  /** Why a credit matched nothing, in words for the operator. */
  detail?: string;
  /** For `already_processed`: what the first processing decided. */
  previous?: string;
}

/** Which card's amount table to look in, or why there is none. */
async function findOwner(ctx: TxContext, amount: string, last4: string | null): Promise<{ card: string; txid: string; detail?: string }> {
  const { cards } = ctx.rules;
  if (cards.length === 0) {
    return { card: IMPLICIT_CARD, txid: (await ctx.redis.hget(ctx.keys.owners(IMPLICIT_CARD), amount)) ?? '' };
  }
  if (last4 !== null) {
    if (!cards.includes(last4)) return { card: IMPLICIT_CARD, txid: '', detail: `card *${last4} is not in CARDS` };
    return { card: last4, txid: (await ctx.redis.hget(ctx.keys.owners(last4), amount)) ?? '' };
  }
  // No card in the message: accept only when exactly one card holds the amount.
  const pipe = ctx.redis.pipeline();
  for (const c of cards) pipe.hget(ctx.keys.owners(c), amount);
  const owners = ((await pipe.exec()) ?? []).map((r) => (r[1] as string | null) ?? '');
  const held = cards.map((card, i) => ({ card, txid: owners[i] ?? '' })).filter((o) => o.txid !== '');
  if (held.length === 1) return held[0] as { card: string; txid: string };
  if (held.length > 1) return { card: IMPLICIT_CARD, txid: '', detail: 'no card in the message and several cards hold this amount' };
  return { card: cards[0] as string, txid: '' };
}

export async function applyCredit(ctx: TxContext, credit: CreditInput): Promise<CreditOutcome> {
  const { keys, rules } = ctx;
  const amount = String(credit.amountTiyin);
  for (let attempt = 0; attempt < 5; attempt++) {
    const owner = await findOwner(ctx, amount, credit.last4);
    const now = ctx.now();
    const entry = JSON.stringify({
      amount_tiyin: credit.amountTiyin,
      last4: credit.last4,
      bot: credit.bot,
      message_key: credit.messageKey,
      received_at: new Date(now).toISOString(),
      ...(owner.detail ? { detail: owner.detail } : {}),
    });
    const reply = (await runScript(
      ctx.redis,
      'credit',
      [
        keys.message(credit.messageKey), keys.tx(owner.txid || '-'), keys.deadlines, keys.cardLoad,
        keys.quarantine, keys.events, keys.amounts(owner.card), keys.owners(owner.card), keys.unmatched,
      ],
      [owner.txid, amount, now, rules.quarantineMs, rules.keepMs, rules.messageTtlSec, entry, rules.unmatchedCap, keys.payChannel],
    )) as string[];
    const result = reply[0] as CreditResult | 'stale';
    if (result === 'stale') continue; // the amount changed hands between lookup and script
    if (result === 'already_processed') {
      const [previous, txid] = (reply[1] ?? '').split('|');
      return { result, previous, ...(txid ? { transactionId: txid } : {}) };
    }
    return {
      result,
      ...(reply[1] ? { transactionId: reply[1] } : {}),
      ...(owner.detail ? { detail: owner.detail } : {}),
    };
  }
  throw new Error('credit: the amount kept changing owner; giving up after 5 tries');
}

export interface UnmatchedCredit {
  reason: string;
  transaction_id: string | null;
  amount_tiyin: number;
  last4: string | null;
  bot: string;
  message_key: string;
  received_at: string;
  detail?: string;
}

export async function listUnmatched(ctx: TxContext, limit = 100): Promise<UnmatchedCredit[]> {
  const rows = await ctx.redis.lrange(ctx.keys.unmatched, 0, limit - 1);
  return rows.map((r) => JSON.parse(r) as UnmatchedCredit);
}
