// The alert texts and their inline buttons (plain text: no markup to escape). Button data is
// `at|<credit>|<transaction>`, `dm|<credit>|<r|n|d>`, `rd|<transaction>`: within Telegram's 64 bytes.
import type { InlineKeyboardButton } from 'grammy/types';
import type { CreditRecord } from '../credits/record.js';
import { formatSom } from '../money/amount.js';
import { IMPLICIT_CARD } from '../redis/keys.js';
import type { Transaction } from '../transactions/record.js';

const VERDICTS: Record<string, string> = {
  no_match: 'no pending transaction has this amount',
  late: 'its transaction was already cancelled (a late payment)',
  already_confirmed: 'its transaction is already paid (paid twice?)',
  ambiguous: 'the bank message is worded in a way paycue will not confirm by itself',
};

export const DISMISS_REASONS: Record<string, string> = { r: 'refunded', n: 'not a payment', d: 'duplicate' };

const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
const card = (c: string | null) => (c && c !== IMPLICIT_CARD ? `*${c}` : 'any card');
const short = (id: string) => id.slice(0, 8);

export function creditAlert(c: CreditRecord, candidates: Transaction[]): { text: string; buttons: InlineKeyboardButton[][] } {
  const lines = [
    `💰 Open credit: ${formatSom(c.amountTiyin)}`,
    `Card: ${c.last4 ? `*${c.last4}` : 'not named'} · bank time ${time(c.receivedAt)}`,
    `Verdict: ${c.verdict} — ${VERDICTS[c.verdict] ?? c.verdict}`,
    ...(c.txId ? [`Transaction: ${c.txId}`] : []),
    `Credit: ${c.id}`,
    candidates.length > 0 ? 'Closest pending transactions:' : 'No pending transaction to attach it to.',
    ...candidates.map((t) => `• ${formatSom(t.amountTiyin)} · ${card(t.card)} · ${t.id} (created ${time(t.createdAt)})`),
  ];
  const buttons: InlineKeyboardButton[][] = candidates.map((t) => [
    { text: `Attach to ${formatSom(t.amountTiyin)} (${short(t.id)})`, callback_data: `at|${c.id}|${t.id}` },
  ]);
  buttons.push(Object.entries(DISMISS_REASONS).map(([k, r]) => ({ text: `Dismiss: ${r}`, callback_data: `dm|${c.id}|${k}` })));
  return { text: lines.join('\n'), buttons };
}

export function creditSummary(credits: CreditRecord[], more: number): string {
  const total = credits.reduce((s, c) => s + c.amountTiyin, 0);
  const shown = credits.slice(0, 10);
  return [
    `💰 ${credits.length + more} new open credits${more === 0 ? `, ${formatSom(total)} in all` : ''}`,
    ...shown.map((c) => `• ${formatSom(c.amountTiyin)} · ${c.last4 ? `*${c.last4}` : '-'} · ${c.verdict} · ${c.id}`),
    ...(credits.length + more > shown.length ? [`… and ${credits.length + more - shown.length} more`] : []),
    'Settle them with: paycue credits list --state open (or GET /credits?state=open).',
  ].join('\n');
}

/** `id` is the transaction's, or for a `late_payment` event the credit's (no redelivery button). */
export function webhookFailedAlert(id: string, action: string): { text: string; buttons: InlineKeyboardButton[][] } {
  return {
    text: `⚠️ The ${action} webhook of ${id} failed its last retry; the merchant's backend has not heard of it.`,
    buttons: action === 'late_payment' ? [] : [[{ text: 'Redeliver webhook', callback_data: `rd|${id}` }]],
  };
}

/** The alert as it was, with how it was settled below it. */
export function settledText(original: string, what: string, by: string, at: number): string {
  return `${original}\n\n✅ ${what} — by ${by} at ${time(at)}`;
}
