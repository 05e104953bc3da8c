// Apply one bank credit to the transaction holding exactly that amount. The Telegram
// message key makes a repeat (reconnect, catch-up, a second daemon) change nothing.
import { IMPLICIT_CARD } from '../redis/keys.js';
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
async function findOwner(ctx: TxContext, amountTiyin: number, last4: string | null): Promise<{ card: string; txId: string; detail?: string }> {
  const { cards } = ctx.rules;
  if (cards.length === 0) {
    const [txId = ''] = await ctx.commands.owners([IMPLICIT_CARD], amountTiyin);
    return { card: IMPLICIT_CARD, txId };
  }
  if (last4 !== null) {
    if (!cards.includes(last4)) return { card: IMPLICIT_CARD, txId: '', detail: `card *${last4} is not in CARDS` };
    const [txId = ''] = await ctx.commands.owners([last4], amountTiyin);
    return { card: last4, txId };
  }
  // No card in the message: accept only when exactly one card holds the amount.
  const owners = await ctx.commands.owners(cards, amountTiyin);
  const held = cards.map((card, i) => ({ card, txId: owners[i] ?? '' })).filter((o) => o.txId !== '');
  if (held.length === 1) return held[0] as { card: string; txId: string };
  if (held.length > 1) return { card: IMPLICIT_CARD, txId: '', detail: 'no card in the message and several cards hold this amount' };
  return { card: cards[0] as string, txId: '' };
}

export async function applyCredit(ctx: TxContext, credit: CreditInput): Promise<CreditOutcome> {
  const { rules } = ctx;
  for (let attempt = 0; attempt < 5; attempt++) {
    const found = await findOwner(ctx, credit.amountTiyin, credit.last4);
    const owner = { ...found, idem: found.txId ? await ctx.commands.idemOf(found.txId) : '' };
    const now = ctx.now();
    const entry = JSON.stringify({
      amount_tiyin: credit.amountTiyin,
      last4: credit.last4,
      bot: credit.bot,
      message_key: credit.messageKey,
      received_at: new Date(now).toISOString(),
      ...(owner.detail ? { detail: owner.detail } : {}),
    });
    const reply = await ctx.commands.credit({
      messageKey: credit.messageKey,
      owner,
      amountTiyin: credit.amountTiyin,
      now,
      quarantineMs: rules.quarantineMs,
      keepMs: rules.keepMs,
      messageTtlSec: rules.messageTtlSec,
      entry,
      unmatchedCap: rules.unmatchedCap,
    });
    if (reply.result === 'stale') continue; // the amount changed hands between lookup and script
    if (reply.result === 'already_processed') {
      return { result: reply.result, previous: reply.previous, ...(reply.txId ? { transactionId: reply.txId } : {}) };
    }
    return {
      result: reply.result,
      ...(reply.txId ? { transactionId: reply.txId } : {}),
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
