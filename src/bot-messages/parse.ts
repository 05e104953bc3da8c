// Pure verdict on one bank-bot message: is it money arriving on the card, and how much?
// No I/O, never throws. A credit needs a whitelisted header from a known bot id AND a
// well-formed UZS amount on the ➕ line; everything else is a non-credit with a reason.
import { parseAmountTiyin } from './amount.js';
import { botNameFor, type BotName } from './bots.js';
import { messageLines } from './normalise.js';

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

// Exact (normalised, lower-case) headers of incoming transfers, per bot.
const CREDIT_HEADERS: Record<BotName, ReadonlySet<string>> = {
  humo: new Set(["to'ldirish", 'пополнение']),
  cardxabar: new Set(['perevod na kartu', 'popolnenie scheta', "kartaga o'tkazma"]),
};

// Substrings of non-credit headers, checked in this order. They only choose the reason:
// any header that is not an exact credit header is a non-credit anyway.
const REVERSAL = ['отмен', 'otmen', 'bekor', 'возврат', 'vozvrat', 'qaytar', 'сторно', 'storno'];
const DECLINED = ['недостаточно', 'nedostatochno', 'отказ', 'otkaz', 'отклон', 'otklon', 'yetarli emas', 'rad etil', 'declin'];
const BALANCE = ['счет по карте', 'счёт по карте', 'баланс', 'balans', 'остаток', 'ostatok', 'qoldiq'];
const SERVICE = ['подписк', 'obuna', 'подключ', 'отключ', 'активирова', 'добро пожаловать', 'xush kelibsiz'];
// "Операция" is used both for transfers out (➖) and, rarely, in (➕, m072): never a safe credit.
const AMBIGUOUS_HEADERS = new Set(['операция', 'operatsiya', 'operaciya', 'amaliyot']);
const DEBIT = [
  'оплата', "to'lov", 'снятие', 'наличн', 'yechish', 'списан', 'spisan', 'покупка', 'pokupka', 'oplata',
  'platezh', 'платеж', 'платёж', 'перевод', 'perevod', "o'tkazma", 'комисси', 'komissiya', 'плата',
  'конверсия', 'konversiya', 'vidacha', 'xarid',
];

const UZS_NAMES = new Set(['uzs', "so'm", 'som', 'sum', 'сум', 'сўм']);
// Emoji that open a notification; a second one inside a credit means two messages were pasted together.
const HEADER_EMOJI = new Set(['\u{1F389}', '\u274C', '\u{1F7E2}', '\u{1F534}', '\u{1F3E7}', '\u2705', '\u2139', '\u{1F4B8}']);
const CARD_EMOJI = new Set(['\u{1F4B3}', '\u{1F3E6}']); // 💳 🏦
const BALANCE_EMOJI = new Set(['\u{1F4B0}', '\u{1F4B5}']); // 💰 💵
const MERCHANT_EMOJI = '\u{1F4CD}'; // 📍

const includesAny = (s: string, stems: readonly string[]): boolean => stems.some((w) => s.includes(w));

function firstCodePoint(s: string): string {
  const cp = s.codePointAt(0);
  return cp === undefined ? '' : String.fromCodePoint(cp);
}

function isWordChar(c: string): boolean {
  return /[\p{L}\p{N}]/u.test(c);
}

/** "🎉 **To'ldirish**:" → "to'ldirish". Loops, not regexes, so long symbol runs stay linear. */
function headerKey(line: string): string {
  const chars = Array.from(line);
  let start = 0;
  let end = chars.length;
  while (start < end && !isWordChar(chars[start] ?? '')) start++;
  while (end > start && !isWordChar(chars[end - 1] ?? '')) end--;
  return chars.slice(start, end).join('').toLowerCase();
}

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

const MASK = /\*{1,16}([0-9]{4})(?![0-9])/; // "*7159", "***4862", "561468******4862"

/** Last-4 from the card line (💳/🏦) first, else from any line but the merchant's. */
function findLast4(lines: readonly string[]): string | null {
  for (const line of lines) {
    if (CARD_EMOJI.has(firstCodePoint(line))) {
      const m = MASK.exec(line);
      if (m?.[1] !== undefined) return m[1];
    }
  }
  for (const line of lines) {
    if (firstCodePoint(line) === MERCHANT_EMOJI) continue;
    const m = MASK.exec(line);
    if (m?.[1] !== undefined) return m[1];
  }
  return null;
}

function nonCredit(reason: NonCreditReason): ParseResult {
  return { credit: false, reason };
}

function creditVerdict(lines: readonly string[], bot: BotName): ParseResult {
  const body = lines.slice(1);
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

  const last4 = findLast4(body.filter((_, i) => i !== amountIndex));
  return { credit: true, amount_tiyin: amount.tiyin, currency: 'UZS', last4, bot };
}

function verdict(lines: readonly string[], bot: BotName): ParseResult {
  const first = lines[0];
  if (first === undefined) return nonCredit('unrecognised');
  const key = signedLine(first) === null ? headerKey(first) : '';

  if (includesAny(key, REVERSAL)) return nonCredit('reversal');
  if (CREDIT_HEADERS[bot].has(key)) return creditVerdict(lines, bot);
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
  try {
    const bot = botNameFor(sender);
    if (bot === null) return nonCredit('unknown_sender');
    if (typeof text !== 'string') return nonCredit('unrecognised');
    if (text.length > MAX_TEXT_CHARS) return nonCredit('too_long');
    return verdict(messageLines(text), bot);
  } catch {
    return nonCredit('unrecognised');
  }
}
