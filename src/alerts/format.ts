// The alert texts and their inline buttons (plain text: no markup to escape). Button data is
// `at|<credit>|<transaction>` (attach; asks again when the amounts differ), `ax|<credit>|<transaction>`
// (attach, the difference accepted), `dm|<credit>|<r|n|d>`, `rd|<transaction or credit>`: within
// Telegram's 64 bytes.
import type { InlineKeyboardButton } from 'grammy/types';
import type { CreditRecord } from '../credits/record.js';
import { maskCardNumbers } from '../log/logger.js';
import { formatDifference, formatSom } from '../money/amount.js';
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

/** Of a bank message shown in an alert (Telegram allows 4096 characters in all). */
const BANK_TEXT_MAX = 1000;

/** The bank's own words, card numbers masked: what a person needs to judge unusual wording. */
const bankText = (c: CreditRecord): string[] => {
  if (c.verdict !== 'ambiguous' || !c.text) return [];
  const t = c.text.length > BANK_TEXT_MAX ? `${c.text.slice(0, BANK_TEXT_MAX)}…` : c.text;
  return ['Bank message:', maskCardNumbers(t)];
};

/** What every alert about credit `c` starts with. */
const creditHeader = (c: CreditRecord): string[] => [
  `💰 Open credit: ${formatSom(c.amountTiyin)}`,
  `Card: ${c.last4 ? `*${c.last4}` : 'not named'} · bank time ${time(c.receivedAt)}`,
  `Verdict: ${c.verdict} — ${VERDICTS[c.verdict] ?? c.verdict}`,
  ...(c.txId ? [`Transaction: ${c.txId}`] : []),
  `Credit: ${c.id}`,
  ...bankText(c),
];

/** "1.00 UZS less than the order", or null when equal. */
function difference(receivedTiyin: number, orderTiyin: number): string | null {
  const d = formatDifference(receivedTiyin, orderTiyin);
  return d && `${d} than the order`;
}

const attachButton = (c: CreditRecord, t: Transaction): InlineKeyboardButton[] => [
  { text: `Attach to ${formatSom(t.amountTiyin)} (${short(t.id)})`, callback_data: `at|${c.id}|${t.id}` },
];
const dismissButtons = (c: CreditRecord): InlineKeyboardButton[] =>
  Object.entries(DISMISS_REASONS).map(([k, r]) => ({ text: `Dismiss: ${r}`, callback_data: `dm|${c.id}|${k}` }));

const candidateLines = (candidates: Transaction[]): string[] => [
  candidates.length > 0
    ? 'Closest pending transactions:'
    : 'No pending transaction on its card within ATTACH_TOLERANCE of this amount (paycue credits attach can still attach it to any).',
  ...candidates.map((t) => `• ${formatSom(t.amountTiyin)} · ${card(t.card)} · ${t.id} (created ${time(t.createdAt)})`),
];

export function creditAlert(c: CreditRecord, candidates: Transaction[]): { text: string; buttons: InlineKeyboardButton[][] } {
  const lines = [...creditHeader(c), ...candidateLines(candidates)];
  const buttons: InlineKeyboardButton[][] = candidates.map((t) => attachButton(c, t));
  buttons.push(dismissButtons(c));
  return { text: lines.join('\n'), buttons };
}

/** What the first tap of an Attach button whose order's amount differs answers (≤ 200 characters). */
export function attachQuestion(c: CreditRecord, t: Transaction): string {
  return `${formatSom(c.amountTiyin)} arrived; the order is ${formatSom(t.amountTiyin)}: ${difference(c.amountTiyin, t.amountTiyin)}. Tap "Yes, attach" to attach it anyway.`;
}

/** The alert after that first tap: it states the difference, and a second tap on "Yes, attach"
 * attaches; the other buttons stay as they were. */
export function confirmAttachAlert(c: CreditRecord, candidates: Transaction[], t: Transaction): { text: string; buttons: InlineKeyboardButton[][] } {
  const diff = difference(c.amountTiyin, t.amountTiyin) ?? 'the same amount';
  const lines = [
    ...creditHeader(c),
    ...candidateLines(candidates),
    '',
    `❓ Attach to the ${formatSom(t.amountTiyin)} order ${t.id}? ${formatSom(c.amountTiyin)} arrived: ${diff}. Tap "Yes, attach" to confirm.`,
  ];
  const buttons: InlineKeyboardButton[][] = [
    [{ text: `✅ Yes, attach (${diff})`, callback_data: `ax|${c.id}|${t.id}` }],
    ...candidates.filter((x) => x.id !== t.id).map((x) => attachButton(c, x)),
    dismissButtons(c),
  ];
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

const WEBHOOK_WORDS: Record<string, string> = { pending: 'queued', delivered: 'delivered', failed: 'failed (see its alert to redeliver)' };

/** A settled credit's alert, rebuilt from its record: how it was settled, by whom, no buttons.
 * `tx`: the transaction it was attached to (gone after 7 days): the order's amount when the
 * credit's differs, and where its confirm webhook is — queued until delivered or failed. */
export function settledCreditText(c: CreditRecord, tx?: Transaction | null): string {
  const r = c.resolution;
  let what = !r ? 'Settled' : r.kind === 'attached' ? `Attached to ${r.transactionId}: confirmed` : `Dismissed: ${r.reason ?? ''}`;
  if (r?.kind === 'attached' && tx) {
    const diff = difference(c.amountTiyin, tx.amountTiyin);
    if (diff) what += ` (order ${formatSom(tx.amountTiyin)}, ${diff})`;
    what += ` · confirm webhook ${WEBHOOK_WORDS[tx.webhookState] ?? tx.webhookState}`;
  }
  return settledText(creditHeader(c).join('\n'), what, r?.by ?? '?', r?.at ?? Date.now());
}

/** The alert as it was, with how it was settled below it. */
export function settledText(original: string, what: string, by: string, at: number): string {
  return `${original}\n\n✅ ${what} — by ${by} at ${time(at)}`;
}
