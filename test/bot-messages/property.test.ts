// Properties over generated input: total robustness, and exact amount round trips.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BOTS,
  MAX_TIYIN,
  formatCardXabar,
  formatHumo,
  humoCreditMessage,
  humoDebitMessage,
  humoReversalMessage,
  parseAmountTiyin,
  parseBotMessage,
  type ParseResult,
} from '../../src/bot-messages/index.js';

const SENDERS = [BOTS.humo, BOTS.cardxabar, 111111111, 0];
const sender = fc.constantFrom(...SENDERS);
const tiyin = fc.integer({ min: 1, max: MAX_TIYIN });
const last4 = fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0'));

// Any UTF-16 code unit, lone surrogates included: what a broken client might hand us.
const codeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 300 });
// Fragments of real messages, so generated text reaches deep into the parser.
const fragment = fc.constantFrom(
  "🎉 To'ldirish", '🎉 Пополнение', '🟢 Perevod na kartu', '🟢 OTMENA', '💸 Операция', '❌ Отмена', 'HUMO Card, [1.1.2026 1:00]',
  '➕', '➖', '+', '-', '💰', '💵', '💳', '📍', '🕓', '\uFE0F', '**', '__', '*', '***', '\n', '\r\n', '\r', ' ', '\u00A0', '\u202F',
  '1', '0', '9', '.', ',', '000', '1.010,00', '1 010.00', ' UZS', ' USD', "so'm", '\u2019', '`', '\u0000', '\uD800', '*7159',
);
const messageLike = fc.array(fragment, { maxLength: 60 }).map((parts) => parts.join(''));

/** The shape every verdict must have, whatever the input. */
function assertWellFormed(r: ParseResult, from: number): void {
  if (r.credit) {
    expect(Object.keys(r)).toEqual(['credit', 'amount_tiyin', 'currency', 'last4', 'bot']);
    expect(Number.isSafeInteger(r.amount_tiyin)).toBe(true);
    expect(r.amount_tiyin).toBeGreaterThanOrEqual(1);
    expect(r.amount_tiyin).toBeLessThanOrEqual(MAX_TIYIN);
    expect(r.currency).toBe('UZS');
    expect(r.last4 === null || /^[0-9]{4}$/.test(r.last4)).toBe(true);
    expect(BOTS[r.bot]).toBe(from); // only the two bots can ever produce a credit
  } else {
    expect(Object.keys(r)).toEqual(['credit', 'reason']);
    expect(typeof r.reason).toBe('string');
  }
}

describe('parseBotMessage never throws', () => {
  it.each([
    ['grapheme strings', fc.string({ unit: 'grapheme', maxLength: 300 })],
    ['full-unicode strings', fc.string({ unit: 'binary', maxLength: 300 })],
    ['raw UTF-16 with lone surrogates', codeUnits],
    ['message-like fragments', messageLike],
  ] as const)('%s', (_name, arb) => {
    fc.assert(
      fc.property(arb, sender, (text, from) => {
        assertWellFormed(parseBotMessage(text, from), from);
      }),
      { numRuns: 1000 },
    );
  });

  it('and any sender number, bots or not', () => {
    fc.assert(
      fc.property(messageLike, fc.oneof(fc.integer(), fc.double()), (text, from) => {
        const r = parseBotMessage(text, from);
        assertWellFormed(r, from);
        if (from !== BOTS.humo && from !== BOTS.cardxabar) expect(r).toEqual({ credit: false, reason: 'unknown_sender' });
      }),
    );
  });
});

describe('amounts round-trip exactly', () => {
  it('HUMO format', () => {
    fc.assert(fc.property(tiyin, (t) => parseAmountTiyin(formatHumo(t)) === t), { numRuns: 2000 });
  });

  it('CardXabar format, with any of its space characters', () => {
    fc.assert(
      fc.property(tiyin, fc.constantFrom(' ', '\u00A0', '\u202F'), (t, sp) => {
        expect(parseAmountTiyin(formatCardXabar(t).replaceAll(' ', sp))).toBe(t);
      }),
      { numRuns: 2000 },
    );
  });

  it('small and boundary amounts', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom(1, 99, 100, 101, 999_999, MAX_TIYIN)), (t) => {
        expect(parseAmountTiyin(formatHumo(t))).toBe(t);
        expect(parseAmountTiyin(formatCardXabar(t))).toBe(t);
      }),
    );
  });

  it('nothing above MAX_TIYIN parses', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_TIYIN + 1, max: Number.MAX_SAFE_INTEGER }), (t) => {
        expect(parseAmountTiyin(formatHumo(t))).toBeNull();
        expect(parseAmountTiyin(formatCardXabar(t))).toBeNull();
      }),
    );
  });
});

describe('composed messages', () => {
  it('a composed credit parses back to its amount and card', () => {
    fc.assert(
      fc.property(tiyin, last4, fc.date({ noInvalidDate: true }), fc.integer({ min: 0, max: MAX_TIYIN }), (t, card, at, balance) => {
        const text = humoCreditMessage(t, card, { at, balanceTiyin: balance });
        expect(parseBotMessage(text, BOTS.humo)).toEqual({ credit: true, amount_tiyin: t, currency: 'UZS', last4: card, bot: 'humo' });
        expect(parseBotMessage(text, 111111111)).toEqual({ credit: false, reason: 'unknown_sender' });
      }),
      { numRuns: 1000 },
    );
  });

  it('a composed reversal or debit of the same amount is never a credit', () => {
    fc.assert(
      fc.property(tiyin, last4, (t, card) => {
        expect(parseBotMessage(humoReversalMessage(t, card), BOTS.humo)).toEqual({ credit: false, reason: 'reversal' });
        expect(parseBotMessage(humoDebitMessage(t, card), BOTS.humo)).toEqual({ credit: false, reason: 'debit' });
      }),
    );
  });

  it('copy damage does not change a credit', () => {
    const damages = [
      (s: string) => s.replaceAll('\n', '\r\n'),
      (s: string) => s.replaceAll('\n', ''),
      (s: string) => s.replace("'", '\u02BB'),
      (s: string) => s.replace("'", '\u2019'),
      (s: string) => s.replaceAll('➕', '➕\uFE0F'),
      (s: string) => `HUMO Card, [16.06.2026 05:36]\n${s}`,
      (s: string) => s.replace(/^(🎉 )(.*)$/mu, '$1**$2**'),
    ];
    // Each kind of damage at most once, in any order.
    const damage = fc.shuffledSubarray(damages);
    fc.assert(
      fc.property(tiyin, last4, damage, (t, card, fs) => {
        const text = fs.reduce((s, f) => f(s), humoCreditMessage(t, card));
        expect(parseBotMessage(text, BOTS.humo)).toEqual({ credit: true, amount_tiyin: t, currency: 'UZS', last4: card, bot: 'humo' });
      }),
    );
  });
});
