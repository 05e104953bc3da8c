// The one owner of credit outcomes: every bank message, live, caught up, or simulated in the
// sandbox, is parsed here and applied as a credit; what happened is reported to Events.
import type { Events } from '../events.js';
import { parseBotMessage, parseBotText, reviewAmount, type BotMessage, type WatchedBotId } from '../bot-messages/index.js';
import { applyCredit } from '../transactions/credit.js';
import type { TxContext } from '../transactions/context.js';

export type MatchOutcome =
  | { matched: true; transaction_id: string; credit_id?: string }
  | { matched: false; reason: string; transaction_id?: string; detail?: string; credit_id?: string };

export interface MessageProcessorDeps {
  ctx: TxContext;
  events: Events;
  /** The watched bots: only the sandbox's messages by sender id need them. */
  bots: readonly WatchedBotId[];
}

export interface Credit {
  amountTiyin: number;
  last4: string | null;
  bot: string;
  /** The bank's time (ms) and raw text, for the credit record. */
  receivedAt?: number;
  text?: string;
  /** Ambiguous wording: recorded as an open credit for a person, never matched. */
  review?: boolean;
}

export class MessageProcessor {
  constructor(private readonly deps: MessageProcessorDeps) {}

  /** A message from a watched bot; `key` identifies it (account, bot id, message id). */
  async process(msg: Pick<BotMessage, 'bot' | 'text'> & { date?: number }, key: string): Promise<MatchOutcome> {
    const verdict = parseBotText(msg.text, msg.bot);
    this.deps.events.botMessageParsed(key, verdict);
    const record = { bot: msg.bot, text: msg.text, ...(msg.date ? { receivedAt: msg.date * 1000 } : {}) };
    if (!verdict.credit) {
      // Money the parser will not call a credit must still reach a person: an open credit.
      const seen = reviewAmount(msg.text, msg.bot);
      if (!seen) return { matched: false, reason: verdict.reason };
      return this.processCredit({ ...record, amountTiyin: seen.amount_tiyin, last4: seen.last4, review: true }, key);
    }
    return this.processCredit({ ...record, amountTiyin: verdict.amount_tiyin, last4: verdict.last4 }, key);
  }

  /** A message by sender id (the sandbox): a watched bot's is processed like a live one. */
  async processFromSender(text: string, sender: number, key: string): Promise<MatchOutcome> {
    const bot = this.deps.bots.find((b) => b.id === sender);
    if (bot) return this.process({ bot: bot.name, text }, key);
    const verdict = parseBotMessage(text, sender);
    this.deps.events.botMessageParsed(key, verdict);
    if (verdict.credit) this.deps.events.unwatchedCredit(key, sender);
    return { matched: false, reason: verdict.credit ? 'unwatched_sender' : verdict.reason };
  }

  async processCredit(credit: Credit, key: string): Promise<MatchOutcome> {
    const out = await applyCredit(this.deps.ctx, { ...credit, messageKey: key });
    this.deps.events.creditProcessed({ messageKey: key, amountTiyin: credit.amountTiyin, last4: credit.last4 }, out);
    const record = out.creditId ? { credit_id: out.creditId } : {};
    if (out.result === 'matched') return { matched: true, transaction_id: out.transactionId as string, ...record };
    return {
      matched: false,
      reason: out.result,
      ...record,
      ...(out.transactionId ? { transaction_id: out.transactionId } : {}),
      ...(out.detail ? { detail: out.detail } : {}),
    };
  }
}
