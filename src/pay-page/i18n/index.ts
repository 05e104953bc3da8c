// The three page languages, how one is chosen, and how amounts are written in each.
import { en, type Strings } from './en.js';
import { ru } from './ru.js';
import { uz } from './uz.js';

export const LANGS = ['uz', 'ru', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export const STRINGS: Record<Lang, Strings> = { uz, ru, en };
export type { Strings };

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGS as readonly string[]).includes(v);
}

/** The best supported language in an Accept-Language header, by q-value, or undefined. */
export function fromAcceptLanguage(header: string | undefined): Lang | undefined {
  if (!header) return undefined;
  let best: { lang: Lang; q: number } | undefined;
  for (const part of header.slice(0, 500).split(',')) {
    const [tag, ...params] = part.trim().split(';');
    const base = (tag ?? '').trim().toLowerCase().split('-')[0];
    const qp = params.find((p) => p.trim().startsWith('q='));
    const q = qp ? Number(qp.trim().slice(2)) : 1;
    if (isLang(base) && Number.isFinite(q) && q > 0 && (!best || q > best.q)) best = { lang: base, q };
  }
  return best?.lang;
}

/** The customer's explicit choice (?lang=, the switcher) wins, then the merchant's, then the browser's; Uzbek by default. */
export function chooseLang(query: string | undefined, atCreate: Lang | undefined, acceptLanguage: string | undefined): Lang {
  if (isLang(query)) return query;
  return atCreate ?? fromAcceptLanguage(acceptLanguage) ?? 'uz';
}

const NBSP = '\u00a0';

/** `20 001,00 so'm` / `20 001 сум` / `20 001.00 UZS`, from integer tiyin (no floats): as the
 * banks' apps show it in each language (Russian drops kopecks that are zero). */
export function formatAmount(tiyin: number, lang: Lang): string {
  const som = Math.trunc(tiyin / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
  const dec = String(tiyin % 100).padStart(2, '0');
  if (lang === 'ru' && tiyin % 100 === 0) return `${som}${NBSP}${STRINGS[lang].currency}`;
  return `${som}${lang === 'en' ? '.' : ','}${dec}${NBSP}${STRINGS[lang].currency}`;
}

/** What the amount copy button copies: digits only, with a decimal point only for tiyin. */
export function amountDigits(tiyin: number): string {
  const som = Math.trunc(tiyin / 100);
  return tiyin % 100 === 0 ? String(som) : `${som}.${String(tiyin % 100).padStart(2, '0')}`;
}
