// The alert texts and their inline buttons (plain text: no markup to escape). Button data is
// `at|<credit>|<transaction>`, `dm|<credit>|<r|n|d>`, `rd|<transaction or credit>`: within
// Telegram's 64 bytes.
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

/** What every alert about credit `c` starts with. */
const creditHeader = (c: CreditRecord): string[] => [
  `💰 Open credit: ${formatSom(c.amountTiyin)}`,
  `Card: ${c.last4 ? `*${c.last4}` : 'not named'} · bank time ${time(c.receivedAt)}`,
  `Verdict: ${c.verdict} — ${VERDICTS[c.verdict] ?? c.verdict}`,
  ...(c.txId ? [`Transaction: ${c.txId}`] : []),
  `Credit: ${c.id}`,
];

export function creditAlert(c: CreditRecord, candidates: Transaction[]): { text: string; buttons: InlineKeyboardButton[][] } {
  const lines = [
    ...creditHeader(c),
    candidates.length > 0 ? 'Closest pending transactions:' : 'No pending transaction to attach it to.',
    ...candidates.map((t) => `• ${formatSom(t.amountTiyin)} · ${card(t.card)} · ${t.id} (created ${time(t.createdAt)})`),
  ];
  const buttons: InlineKeyboardButton[][] = candidates.map((t) => [
    { text: `Attach to ${formatSom(t.amountTiyin)} (${short(t.id)})`, callback_data: `at|${c.id}|${t.id}` },
  ]);
  buttons.push(Object.entries(DISMISS_REASONS).map(([k, r]) => ({ text: `Dismiss: ${r}`, callback_data: `dm|${c.id}|${k}` })));
  return { text: lines.join('\n'), buttons };
}

export function creditSummary(credits: CreditRecord[]): string {
  const total = credits.reduce((s, c) => s + c.amountTiyin, 0);
  const shown = credits.slice(0, 10);
  return [
    `💰 ${credits.length} new open credits, ${formatSom(total)} in all`,
    ...shown.map((c) => `• ${formatSom(c.amountTiyin)} · ${c.last4 ? `*${c.last4}` : '-'} · ${c.verdict} · ${c.id}`),
    ...(credits.length > shown.length ? [`… and ${credits.length - shown.length} more`] : []),
    'Settle them with: paycue credits list --state open (or GET /credits?state=open).',
  ].join('\n');
}

/** `id` is the transaction's, or for a `late_payment` event the credit's. */
export function webhookFailedAlert(id: string, action: string): { text: string; buttons: InlineKeyboardButton[][] } {
  const whose = action === 'late_payment' ? `credit ${id}` : id;
  return {
    text: `⚠️ The ${action} webhook of ${whose} failed its last retry; the merchant's backend has not heard of it.`,
    buttons: [[{ text: 'Redeliver webhook', callback_data: `rd|${id}` }]],
  };
}

/** Many failures at once (the merchant's backend is down): one message, no buttons. */
export function webhookFailedSummary(failures: { id: string; action: string }[]): string {
  const shown = failures.slice(0, 10);
  return [
    `⚠️ ${failures.length} webhooks failed their last retry; the merchant's backend has not heard of them.`,
    ...shown.map((f) => `• ${f.action} · ${f.id}`),
    ...(failures.length > shown.length ? [`… and ${failures.length - shown.length} more`] : []),
    'Once it answers again: paycue webhooks redeliver --all-failed',
  ].join('\n');
}

/** A transaction expiry will not cancel by itself: paycue never read the chat back to its start. */
export function heldTransactionAlert(id: string, amountTiyin: number, cardLast4: string | null, expiresAt: number): string {
  return [
    `⏸ Not expired: ${formatSom(amountTiyin)} · ${card(cardLast4)} · ${id}`,
    `Its deadline passed at ${time(expiresAt)}, but it was created before paycue began reading the bank chat (a bot just enabled, or another Telegram account), so a payment for it may be in the chat unread.`,
    `Look in the chat, then settle it by hand: paycue transactions confirm|cancel ${id} --reason "…" (or POST /transaction/${id}/confirm|cancel).`,
  ].join('\n');
}

/** A settled credit's alert, rebuilt from its record: how it was settled, by whom, no buttons. */
export function settledCreditText(c: CreditRecord): string {
  const r = c.resolution;
  const what = !r ? 'Settled' : r.kind === 'attached' ? `Attached to ${r.transactionId}: confirmed, confirm webhook sent` : `Dismissed: ${r.reason ?? ''}`;
  return settledText(creditHeader(c).join('\n'), what, r?.by ?? '?', r?.at ?? Date.now());
}

/** The alert as it was, with how it was settled below it. */
export function settledText(original: string, what: string, by: string, at: number): string {
  return `${original}\n\n✅ ${what} — by ${by} at ${time(at)}`;
}
