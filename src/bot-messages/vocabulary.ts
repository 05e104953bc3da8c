// The bots' words and emoji, kept apart from the verdict logic so that new wording
// is a one-line change here. All words are lower case, as compared.
import type { BotName } from './bots.js';

// Exact (normalised) headers of incoming transfers, per bot.
export const CREDIT_HEADERS: Record<BotName, ReadonlySet<string>> = {
  humo: new Set(["to'ldirish", 'пополнение']),
  cardxabar: new Set(['perevod na kartu', 'popolnenie scheta', "kartaga o'tkazma"]),
};

// The emoji each bot puts before a credit header. Any other emoji there (🔴 is CardXabar's
// debit marker, ❌ HUMO's cancellation) turns the same words into something else.
export const CREDIT_EMOJI: Record<BotName, string> = { humo: '\u{1F389}', cardxabar: '\u{1F7E2}' }; // 🎉 🟢
export const CANCEL_EMOJI = '\u274C'; // ❌

// Stems of non-credit wording. In a header they are substrings and only choose the reason;
// in a credit's body they are matched at word starts and veto the credit.
export const REVERSAL = [
  'отмен', 'otmen', 'bekor', 'возврат', 'vozvrat', 'qaytar', 'сторно', 'storno', 'cancel', 'revers', 'refund',
];
export const DECLINED = [
  'недостаточно', 'nedostatochno', 'отказ', 'otkaz', 'отклон', 'otklon', 'yetarli emas', 'rad etil', 'declin',
];
export const BALANCE = ['счет по карте', 'счёт по карте', 'баланс', 'balans', 'остаток', 'ostatok', 'qoldiq'];
export const SERVICE = ['подписк', 'obuna', 'подключ', 'отключ', 'активирова', 'добро пожаловать', 'xush kelibsiz'];
// "Операция" is used both for transfers out (➖) and, rarely, in (➕, m072): never a safe credit.
export const AMBIGUOUS_HEADERS: ReadonlySet<string> = new Set(['операция', 'operatsiya', 'operaciya', 'amaliyot']);
export const DEBIT = [
  'оплата', "to'lov", 'снятие', 'наличн', 'yechish', 'списан', 'spisan', 'покупка', 'pokupka', 'oplata',
  'platezh', 'платеж', 'платёж', 'перевод', 'perevod', "o'tkazma", 'комисси', 'komissiya', 'плата',
  'конверсия', 'konversiya', 'vidacha', 'xarid',
];

export const UZS_NAMES: ReadonlySet<string> = new Set(['uzs', "so'm", 'som', 'sum', 'сум', 'сўм']);

// Emoji that open a notification; one inside a credit's body means two messages were
// pasted together, or a stop/cancel mark was added to it.
export const HEADER_EMOJI: ReadonlySet<string> = new Set([
  '\u{1F389}', '\u274C', '\u{1F7E2}', '\u{1F534}', '\u{1F3E7}', '\u2705', '\u2139', '\u{1F4B8}', // 🎉 ❌ 🟢 🔴 🏧 ✅ ℹ 💸
  '\u2716', '\u26D4', '\u{1F6AB}', // ✖ ⛔ 🚫
]);
export const CARD_EMOJI: ReadonlySet<string> = new Set(['\u{1F4B3}', '\u{1F3E6}']); // 💳 🏦
export const BALANCE_EMOJI: ReadonlySet<string> = new Set(['\u{1F4B0}', '\u{1F4B5}']); // 💰 💵
export const MERCHANT_EMOJI = '\u{1F4CD}'; // 📍

export function firstCodePoint(s: string): string {
  const cp = s.codePointAt(0);
  return cp === undefined ? '' : String.fromCodePoint(cp);
}

export function isWordChar(c: string): boolean {
  return /[\p{L}\p{N}]/u.test(c);
}

export const includesAny = (s: string, stems: readonly string[]): boolean => stems.some((w) => s.includes(w));

/** True when a word of `text` starts with one of `stems`: "(otmena)" yes, "RADIO" no for "rad etil". */
export function hasWordStem(text: string, stems: readonly string[]): boolean {
  const s = text.toLowerCase();
  for (const stem of stems) {
    for (let i = s.indexOf(stem); i !== -1; i = s.indexOf(stem, i + 1)) {
      if (i === 0 || !isWordChar(s[i - 1] ?? '')) return true;
    }
  }
  return false;
}
