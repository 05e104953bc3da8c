// Apply one bank credit to the transaction holding exactly that amount. The Telegram
// message key makes a repeat (reconnect, catch-up, a second daemon) change nothing.
import { randomBytes } from 'node:crypto';
import { IMPLICIT_CARD } from '../redis/keys.js';
import type { TxContext } from './context.js';

export interface CreditInput {
  amountTiyin: number;
  last4: string | null;
  /** Unique per bank message: `<account>:<bot id>:<message id>` from Telegram, `sandbox:…` in the sandbox. */
  messageKey: string;
  bot: string;
  /** The bank's time of the message (ms); default now. */
  receivedAt?: number;
  /** The raw message text, kept on the credit record ('' for a sandbox amount). */
  text?: string;
  /** An ambiguous message with a readable amount: recorded as an open credit, never matched. */
  review?: boolean;
}

export type CreditResult =
  | 'matched'
  | 'already_processed'
  | 'no_match'
  | 'late'
  | 'already_confirmed'
  | 'ambiguous';

/** A new credit record's id: short enough for Telegram's 64-byte button data with a transaction id. */
export const newCreditId = (): string => `cr_${randomBytes(8).toString('hex')}`;

export interface CreditOutcome {
  result: CreditResult;
  transactionId?: string;
  /** The credit record (for `already_processed`: the first processing's). */
  creditId?: string;
  /** Why a credit matched nothing, in words for the operator. */
  detail?: string;
  /** For `already_processed`: what the first processing decided. */
  previous?: string;
}

/** Which card's amount table to look in, or why there is none. */
async function findOwner(ctx: TxContext, amountTiyin: number, last4: string | null): Promise<{ card: string; txId: string; detail?: string }> {
  // A card this daemon does not know yet may have been registered meanwhile (or the list could
  // not be read at start-up): look again before calling the money unmatched.
  if (last4 !== null && ctx.refreshCards && !ctx.rules.cards.includes(last4)) await ctx.refreshCards();
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
  const creditId = newCreditId();
  for (let attempt = 0; attempt < 5; attempt++) {
    const found = credit.review ? { card: IMPLICIT_CARD, txId: '' } : await findOwner(ctx, credit.amountTiyin, credit.last4);
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
      record: {
        creditId,
        bot: credit.bot,
        last4: credit.last4,
        receivedAt: credit.receivedAt ?? now,
        text: credit.text ?? '',
        review: credit.review === true,
        keepMs: rules.creditKeepMs,
        textKeepMs: rules.creditTextKeepMs,
        latePayment: rules.latePayment,
      },
    });
    if (reply.result === 'stale') continue; // the amount changed hands between lookup and script
    const ids = { ...(reply.txId ? { transactionId: reply.txId } : {}), ...(reply.creditId ? { creditId: reply.creditId } : {}) };
    if (reply.result === 'already_processed') return { result: reply.result, previous: reply.previous, ...ids };
    return {
      result: reply.result,
      ...ids,
      ...(owner.detail ? { detail: owner.detail } : {}),
    };
  }
  throw new Error('credit: the amount kept changing owner; giving up after 5 tries');
}

export interface UnmatchedCredit {
  reason: string;
  transaction_id: string | null;
  credit_id?: string;
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
