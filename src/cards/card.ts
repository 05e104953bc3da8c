// A registered card: what the pay page shows the customer, and how it is validated.
// The full number is shown to paying customers, so it is not a secret, but it stays out of
// logs: they get the last-4 or the mask() form only.
import { z } from 'zod';

export const CARD_BOTS = ['humo', 'cardxabar'] as const;
export type CardBot = (typeof CARD_BOTS)[number];

export interface CardLink {
  title: string;
  /** http(s) URL template; `{amount}` (so'm, e.g. 20001 or 20000.01) and `{amount_tiyin}` are filled in. */
  url: string;
}

/** As stored in the registry hash (`active` lives in the inactive set, not here). */
export interface StoredCard {
  number: string;
  holder: string;
  label?: string;
  bot: CardBot;
  links: CardLink[];
  added_at: number;
}

export interface Card extends StoredCard {
  last4: string;
  active: boolean;
}

/** The API and CLI shape. */
export interface PublicCard {
  last4: string;
  number_display: string;
  holder: string;
  label: string | null;
  bot: CardBot;
  active: boolean;
  links: CardLink[];
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** `9860 1000 0002 7159` */
export function groupNumber(number: string): string {
  return number.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** `986010******7159`: the only form a full number may take in logs. */
export function mask(number: string): string {
  return `${number.slice(0, 6)}${'*'.repeat(number.length - 10)}${number.slice(-4)}`;
}

export function toPublicCard(c: Card): PublicCard {
  return {
    last4: c.last4,
    number_display: groupNumber(c.number),
    holder: c.holder,
    label: c.label ?? null,
    bot: c.bot,
    active: c.active,
    links: c.links,
  };
}

export const LAST4 = /^\d{4}$/;

/**
 * What shows nothing, or changes how the text around it is shown: controls, format characters
 * (zero-widths, bidi embeddings, overrides and isolates U+202A–E and U+2066–9, word joiners, the
 * BOM, soft hyphens, tag characters), line and paragraph separators, lone surrogates, and the
 * Hangul fillers that render as blank letters. In a holder, label or link title the customer
 * would see something else than the operator typed and reads in `paycue cards list`.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\u034F\u115F\u1160\u3164\uFFA0]/u;

/** A displayed text field: refuses INVISIBLE, naming the first such character it holds. */
const visibleText = (min: number, max: number, minMessage: string) =>
  z
    .string({ error: 'must be a string' })
    .trim()
    .min(min, minMessage)
    .max(max, `must be at most ${max} characters`)
    .superRefine((v, ctx) => {
      const hidden = INVISIBLE.exec(v)?.[0];
      if (hidden === undefined) return;
      const code = (hidden.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0');
      ctx.addIssue({ code: 'custom', message: `contains U+${code}, an invisible or text-direction character; use visible characters only` });
    });

const linkSchema = z.object(
  {
    title: visibleText(1, 40, 'must not be empty'),
    url: z
      .string()
      .trim()
      .max(500, 'must be at most 500 characters')
      .refine((v) => {
        try {
          const u = new URL(v.replaceAll('{amount_tiyin}', '1').replaceAll('{amount}', '1'));
          return u.protocol === 'https:' || u.protocol === 'http:';
        } catch {
          return false;
        }
      }, 'must be an http:// or https:// URL (with an optional {amount} placeholder)'),
  },
  { error: 'each link must be {"title", "url"}' },
);

const holderSchema = visibleText(2, 60, 'must be at least 2 characters').refine((v) => !/[<>]/.test(v), 'must not contain < or >');
const labelSchema = visibleText(1, 40, 'must not be empty');
const botSchema = z.enum(CARD_BOTS, { error: `must be one of ${CARD_BOTS.join(', ')}` });
const linksSchema = z.array(linkSchema, { error: 'must be an array' }).max(5, 'at most 5 links');

const objectError = (extra: string) => (iss: { code: string; keys?: string[] }) =>
  iss.code === 'unrecognized_keys' ? `unknown field ${(iss.keys ?? []).join(', ')}${extra}` : 'body must be a JSON object';

export const newCardSchema = z.strictObject(
  {
    number: z
      .string({ error: (iss) => (iss.input === undefined ? 'is required (16 digits)' : 'must be a string of 16 digits') })
      .transform((v) => v.replace(/[\s-]/g, ''))
      .refine((v) => /^\d{16}$/.test(v), 'must be 16 digits')
      .refine((v) => luhnValid(v), 'fails the Luhn check (a typo?)'),
    holder: holderSchema,
    label: labelSchema.optional(),
    bot: botSchema.optional().default('humo'),
    links: linksSchema.optional().default([]),
    active: z.boolean({ error: 'must be true or false' }).optional().default(true),
  },
  { error: objectError('') },
);

export const cardPatchSchema = z.strictObject(
  {
    holder: holderSchema.optional(),
    label: labelSchema.nullable().optional(),
    bot: botSchema.optional(),
    links: linksSchema.optional(),
    active: z.boolean({ error: 'must be true or false' }).optional(),
  },
  { error: objectError(' (the number cannot change: remove the card and add it again)') },
);

export type NewCard = z.output<typeof newCardSchema>;
export type CardPatch = z.output<typeof cardPatchSchema>;
