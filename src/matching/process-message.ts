// The one path every bank message takes, live, caught up, or simulated in the sandbox:
// parse → apply the credit → log and count the outcome.
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { BOTS, parseBotMessage } from '../bot-messages/index.js';
import { applyCredit, type CreditOutcome } from '../transactions/credit.js';
import type { TxContext } from '../transactions/context.js';
import { formatSom } from '../money/amount.js';

export type MatchOutcome =
  | { matched: true; transaction_id: string }
  | { matched: false; reason: string; transaction_id?: string; detail?: string };

export interface MessageProcessorDeps {
  ctx: TxContext;
  log: Logger;
  metrics?: Metrics;
  /** Telegram ids whose messages count: WATCH_ID first, then CardXabar when enabled. */
  watchedSenders: number[];
}

export interface Credit {
  amountTiyin: number;
  last4: string | null;
  bot: string;
}

export class MessageProcessor {
  constructor(private readonly deps: MessageProcessorDeps) {}

  /** A bank message's text from `sender`; `key` identifies the message (bot id + message id). */
  async processText(text: string, sender: number, key: string): Promise<MatchOutcome> {
    // WATCH_ID names the HUMO bot's account; should it ever differ from the well-known id,
    // its messages are still read in the HUMO format.
    const verdict = parseBotMessage(text, sender === this.deps.watchedSenders[0] ? BOTS.humo : sender);
    this.deps.metrics?.botMessages.inc({ verdict: verdict.credit ? 'credit' : verdict.reason });
    if (!verdict.credit) {
      this.deps.log.debug({ message_key: key, reason: verdict.reason }, 'bot message is not a credit');
      return { matched: false, reason: verdict.reason };
    }
    if (!this.deps.watchedSenders.includes(sender)) {
      this.deps.log.info({ message_key: key, sender }, 'credit from a bot that is not watched; ignored');
      return { matched: false, reason: 'unwatched_sender' };
    }
    return this.processCredit({ amountTiyin: verdict.amount_tiyin, last4: verdict.last4, bot: verdict.bot }, key);
  }

  async processCredit(credit: Credit, key: string): Promise<MatchOutcome> {
    const out: CreditOutcome = await applyCredit(this.deps.ctx, { ...credit, messageKey: key });
    const fields = {
      message_key: key,
      amount: formatSom(credit.amountTiyin),
      amount_tiyin: credit.amountTiyin,
      last4: credit.last4,
      result: out.result,
      transaction_id: out.transactionId,
      detail: out.detail,
    };
    this.deps.metrics?.credits.inc({ result: out.result === 'already_processed' ? 'duplicate' : out.result });
    switch (out.result) {
      case 'matched':
        this.deps.metrics?.transactions.inc({ event: 'confirmed' });
        this.deps.log.info(fields, 'credit matched; transaction confirmed');
        return { matched: true, transaction_id: out.transactionId as string };
      case 'already_processed':
        this.deps.log.info({ ...fields, previous: out.previous }, 'message already processed; nothing changed');
        return { matched: false, reason: 'already_processed', ...(out.transactionId ? { transaction_id: out.transactionId } : {}) };
      default:
        // no_match / late / already_confirmed: money arrived that confirms nothing: the operator must see it.
        this.deps.log.warn(fields, 'credit matched no pending transaction; listed in `paycue credits unmatched`');
        return {
          matched: false,
          reason: out.result,
          ...(out.transactionId ? { transaction_id: out.transactionId } : {}),
          ...(out.detail ? { detail: out.detail } : {}),
        };
    }
  }
}
