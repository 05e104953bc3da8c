// Pure verdict on one bank-bot message: is it money arriving on the card, and how much?
// No I/O, never throws. A credit needs a whitelisted header (under the bot's own credit
// emoji, or none) from a known bot id, no cancellation in its body AND a well-formed UZS
// amount on the ➕ line; everything else is a non-credit with a reason.
import { parseAmountTiyin } from './amount.js';
import { botNameFor, type BotName } from './bots.js';
import { findLast4 } from './card.js';
import { creditHeaderMark, parseHeader } from './header.js';
import { messageLines } from './normalise.js';
import {
  AMBIGUOUS_HEADERS, BALANCE, BALANCE_EMOJI, CREDIT_HEADERS, DEBIT, DECLINED, HEADER_EMOJI, MERCHANT_EMOJI, REVERSAL,
  SERVICE, UZS_NAMES, firstCodePoint, hasWordStem, includesAny,
} from './vocabulary.js';

export type NonCreditReason =
  | 'unknown_sender' // not HUMOcardbot / CardXabar: never a credit, whatever it says
  | 'too_long' // longer than any Telegram message can be
  | 'debit' // payment, transfer out, withdrawal, fee
  | 'reversal' // cancelled operation: arrives with ➕ but is not a payment
  | 'declined'
  | 'balance' // balance report or "balance changed" notice
  | 'service' // subscription and other service notices
  | 'ambiguous' // plus sign without a credit header, or a credit header with conflicting lines
  | 'not_uzs'
  | 'bad_amount' // credit header but no readable amount in range
  | 'unrecognised';

export type ParseResult =
  | { credit: true; amount_tiyin: number; currency: 'UZS'; last4: string | null; bot: BotName }
  | { credit: false; reason: NonCreditReason };

/** Telegram caps messages at 4096 characters; anything far longer is not a bot message. */
export const MAX_TEXT_CHARS = 16_384;

type Signed = { sign: '+' | '-'; rest: string };

/** "➕ 1.010,00 UZS" / "+ 5.000,0 UZS" → sign and the text after it. */
function signedLine(line: string): Signed | null {
  const c = firstCodePoint(line);
  let sign: '+' | '-';
  if (c === '\u2795' || c === '+') sign = '+';
  else if (c === '\u2796' || c === '-' || c === '\u2212') sign = '-';
  else return null;
  const rest = line.slice(c.length);
  // ASCII +/- only count when followed by the amount, so "-FOO LLC" is not a debit line.
  if (c.length === 1 && c !== '\u2212' && !(rest.startsWith(' ') || (rest[0] !== undefined && rest[0] >= '0' && rest[0] <= '9'))) return null;
  return { sign, rest: rest.trim() };
}

type Amount = { ok: true; tiyin: number } | { ok: false; reason: 'not_uzs' | 'bad_amount' };

/** "1.010,00 UZS" → tiyin. The currency must be UZS (or so'm / сум). */
function parseAmountLine(s: string): Amount {
  let i = s.length;
  while (i > 0 && /[\p{L}']/u.test(s[i - 1] ?? '')) i--;
  const currency = s.slice(i).toLowerCase();
  const tiyin = parseAmountTiyin(s.slice(0, i));
  if (tiyin === null || currency === '') return { ok: false, reason: 'bad_amount' };
  if (!UZS_NAMES.has(currency)) return { ok: false, reason: 'not_uzs' };
  if (tiyin < 1) return { ok: false, reason: 'bad_amount' };
  return { ok: true, tiyin };
}

function nonCredit(reason: NonCreditReason): ParseResult {
  return { credit: false, reason };
}

/** A body line saying the operation was cancelled or declined. The 📍 merchant line is not read: shop names hold any word. */
function cancellation(body: readonly string[]): 'reversal' | 'declined' | null {
  const lines = body.filter((l) => firstCodePoint(l) !== MERCHANT_EMOJI);
  if (lines.some((l) => hasWordStem(l, REVERSAL))) return 'reversal';
  if (lines.some((l) => hasWordStem(l, DECLINED))) return 'declined';
  return null;
}

function creditVerdict(lines: readonly string[], bot: BotName): ParseResult {
  const body = lines.slice(1);
  const cancelled = cancellation(body);
  if (cancelled !== null) return nonCredit(cancelled);
  if (body.some((l) => HEADER_EMOJI.has(firstCodePoint(l)))) return nonCredit('ambiguous');

  const signed = body.map(signedLine);
  const plus = signed.filter((s): s is Signed => s?.sign === '+');
  if (signed.some((s) => s?.sign === '-') || plus.length > 1) return nonCredit('ambiguous');

  let amountText: string;
  let amountIndex: number;
  if (plus[0] !== undefined) {
    amountText = plus[0].rest;
    amountIndex = signed.findIndex((s) => s?.sign === '+');
  } else {
    // Emoji lost in copying (m113): the amount is the line right after the header,
    // never a later one, which could be the balance.
    amountText = body[0] ?? '';
    amountIndex = 0;
  }
  const amount = parseAmountLine(amountText);
  if (!amount.ok) return nonCredit(amount.reason);

  const card = findLast4(body.filter((_, i) => i !== amountIndex));
  if (!card.ok) return nonCredit('ambiguous');
  return { credit: true, amount_tiyin: amount.tiyin, currency: 'UZS', last4: card.last4, bot };
}

function verdict(lines: readonly string[], bot: BotName): ParseResult {
  const first = lines[0];
  if (first === undefined) return nonCredit('unrecognised');
  const header = signedLine(first) === null ? parseHeader(first) : { key: '', lead: '', tail: '' };
  const key = header.key;

  if (includesAny(key, REVERSAL)) return nonCredit('reversal');
  if (CREDIT_HEADERS[bot].has(key)) {
    const mark = creditHeaderMark(header, bot);
    return mark === 'credit' ? creditVerdict(lines, bot) : nonCredit(mark);
  }
  if (includesAny(key, DECLINED)) return nonCredit('declined');
  if (includesAny(key, BALANCE)) return nonCredit('balance');
  if (includesAny(key, SERVICE)) return nonCredit('service');

  // A debit-like header with a ➕ line contradicts itself (so does the other bot's credit header).
  const signs = lines.map((l) => signedLine(l)?.sign);
  const debitUnlessPlus = nonCredit(signs.includes('+') ? 'ambiguous' : 'debit');
  if (AMBIGUOUS_HEADERS.has(key) || includesAny(key, DEBIT)) return debitUnlessPlus;

  // Unknown or missing header: judge by the body, but a plus alone never makes a credit.
  if (signs.includes('-')) return nonCredit('debit');
  if (signs.includes('+')) return nonCredit('ambiguous');
  if (lines.some((l) => BALANCE_EMOJI.has(firstCodePoint(l)))) return nonCredit('balance');
  return nonCredit('unrecognised');
}

/**
 * Classifies one message from Telegram user `sender`. Never throws: unexpected input
 * of any size or encoding yields `{credit: false}`.
 */
export function parseBotMessage(text: string, sender: number): ParseResult {
  const bot = botNameFor(sender);
  return bot === null ? nonCredit('unknown_sender') : parseBotText(text, bot);
}

/** Classifies one message known to come from `bot` (the watcher knows which chat it read). */
export function parseBotText(text: string, bot: BotName): ParseResult {
  try {
    if (typeof text !== 'string') return nonCredit('unrecognised');
    if (text.length > MAX_TEXT_CHARS) return nonCredit('too_long');
    return verdict(messageLines(text), bot);
  } catch {
    return nonCredit('unrecognised');
  }
}

/**
 * For a message the parser will not call a credit because it is `ambiguous`: the one ➕ UZS amount
 * it carries (and the card, when exactly one is named), so the money can be put in front of a
 * person instead of vanishing. Never a reason to confirm anything. Null when no single amount reads.
 */
export function reviewAmount(text: string, bot: BotName): { amount_tiyin: number; last4: string | null } | null {
  try {
    const r = parseBotText(text, bot);
    if (r.credit || r.reason !== 'ambiguous') return null;
    const lines = messageLines(text);
    const signed = lines.map(signedLine);
    const plus = signed.flatMap((s, i) => (s?.sign === '+' ? [{ s, i }] : []));
    if (plus.length !== 1) return null;
    const { s, i } = plus[0] as { s: Signed; i: number };
    const amount = parseAmountLine(s.rest);
    if (!amount.ok) return null;
    const card = findLast4(lines.filter((_, j) => j !== i && j !== 0));
    return { amount_tiyin: amount.tiyin, last4: card.ok ? card.last4 : null };
  } catch {
    return null;
  }
}
