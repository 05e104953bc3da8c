// Regressions from the parser review: each block was a false credit, a lax amount, a
// missing headroom or a lost card mask before its fix.
import { describe, expect, it } from 'vitest';
import { BOTS, MAX_TIYIN, parseAmountTiyin, parseBotMessage, type ParseResult } from '../../src/bot-messages/index.js';
import { credit, no } from './verdicts.js';

const HUMO = BOTS.humo;
const CX = BOTS.cardxabar;

const humo = (header: string, ...body: string[]): string => [header, '➕ 20.001,00 UZS', ...body, '💳 HUMOCARD *7159'].join('\n');
const cx = (header: string, ...body: string[]): string => [header, '➕ 20 001.00 UZS', ...body, '💳 ***7159'].join('\n');

describe('the header emoji must be the bot’s credit emoji', () => {
  it('a credit header under ❌ is a reversal', () => {
    expect(parseBotMessage(humo('❌ Пополнение'), HUMO)).toEqual(no('reversal'));
    expect(parseBotMessage(humo("❌ To'ldirish"), HUMO)).toEqual(no('reversal'));
  });

  it('an emoji after the header words is not a credit either', () => {
    expect(parseBotMessage(humo('🎉 Пополнение ⛔'), HUMO)).toEqual(no('ambiguous'));
    expect(parseBotMessage(humo('🎉 Пополнение ❌'), HUMO)).toEqual(no('ambiguous')); // ❌ starts a second line
    expect(parseBotMessage(cx('🟢 Perevod na kartu 🔴'), CX)).toEqual(no('ambiguous'));
  });

  it('a credit header under CardXabar’s debit marker 🔴 is ambiguous', () => {
    expect(parseBotMessage(cx('🔴 Popolnenie scheta'), CX)).toEqual(no('ambiguous'));
    expect(parseBotMessage(cx('🔴 Perevod na kartu'), CX)).toEqual(no('ambiguous'));
    expect(parseBotMessage(cx("🔴 Kartaga o'tkazma"), CX)).toEqual(no('ambiguous'));
  });

  it.each(['💸', '🏧', 'ℹ️', '✖️', '⛔', '🚫', '🟢', '🎉🎉', '🔴🎉', '>'])('%s before a HUMO credit header is ambiguous', (e) => {
    expect(parseBotMessage(humo(`${e} Пополнение`), HUMO)).toEqual(no('ambiguous'));
  });

  it.each(['💸', '🏧', 'ℹ️', '✖️', '⛔', '🚫', '🎉'])('%s before a CardXabar credit header is ambiguous', (e) => {
    expect(parseBotMessage(cx(`${e} Popolnenie scheta`), CX)).toEqual(no('ambiguous'));
  });

  it('the right emoji, or none, is still a credit', () => {
    expect(parseBotMessage(humo('🎉 Пополнение'), HUMO)).toEqual(credit(2000100, '7159'));
    expect(parseBotMessage(humo('Пополнение'), HUMO)).toEqual(credit(2000100, '7159'));
    expect(parseBotMessage(humo("🎉 **To'ldirish**:"), HUMO)).toEqual(credit(2000100, '7159'));
    expect(parseBotMessage(cx('🟢 Popolnenie scheta'), CX)).toEqual(credit(2000100, '7159', 'cardxabar'));
    expect(parseBotMessage(cx('Perevod na kartu'), CX)).toEqual(credit(2000100, '7159', 'cardxabar'));
  });
});

describe('a body line that cancels or declines the credit', () => {
  it.each([
    ['Отмена операции', 'reversal'],
    ['Operatsiya bekor qilindi', 'reversal'],
    ['✖️ Bekor qilindi', 'reversal'],
    ['⛔ Отменено', 'reversal'],
    ['Возврат средств', 'reversal'],
    ['VOZVRAT', 'reversal'],
    ["Mablag' qaytarildi", 'reversal'],
    ['Operation cancelled', 'reversal'],
    ['Операция отклонена', 'declined'],
    ['OTKLONENO', 'declined'],
    ['Tranzaksiya rad etildi', 'declined'],
  ])('HUMO: %j → %s', (line, reason) => {
    expect(parseBotMessage(humo('🎉 Пополнение', line), HUMO)).toEqual(no(reason));
    expect(parseBotMessage(humo("🎉 To'ldirish", line), HUMO)).toEqual(no(reason));
  });

  it.each([
    ['(otmena)', 'reversal'],
    ['Otmena operatsii', 'reversal'],
    ['⛔ Otkloneno', 'declined'],
  ])('CardXabar: %j → %s', (line, reason) => {
    expect(parseBotMessage(cx('🟢 Popolnenie scheta', line), CX)).toEqual(no(reason));
  });

  it('on the amount line too', () => {
    expect(parseBotMessage("🎉 To'ldirish\n➕ 20.001,00 UZS (otmena)\n💳 HUMOCARD *7159", HUMO)).toEqual(no('reversal'));
  });

  it('merchant names may hold any word', () => {
    for (const shop of ['📍 QAYTAR SAVDO', '📍 RAD ETILMAGAN MCHJ', '📍 OTMENA MARKET', '📍 BEKOR>TASH', '📍 VOZVRAT LLC']) {
      expect(parseBotMessage(humo("🎉 To'ldirish", shop), HUMO)).toEqual(credit(2000100, '7159'));
    }
  });

  it('stems only count at the start of a word', () => {
    for (const line of ['⚠️ Izoh: RADIO', '⚠️ Izoh: SHOHQAYTARMA', '⚠️ Izoh: NOBEKOR', '⚠️ Комиссия: 0,00 UZS']) {
      expect(parseBotMessage(humo("🎉 To'ldirish", line), HUMO)).toEqual(credit(2000100, '7159'));
    }
  });
});

describe('the amount grammar', () => {
  it.each(['2.000.1', '20.001.00', '1.5', '1,500', '1.500', '1 000', '9,900,0', '1,010,00.00', '1.000,000', '1234,5', '1\u2009000.00'])(
    '%j → null',
    (s) => {
      expect(parseAmountTiyin(s)).toBeNull();
    },
  );

  it.each([
    ['5.000,0', 500000],
    ['5,0', 500],
    ['1 000,5', 100050],
    ['1,010.00', 101000],
    ['1\u00A0000\u202F000.00', 100000000],
    ['9,900,00', 990000],
    ['1,00', 100],
    ['20.00', 2000],
    ['1234,50', 123450],
  ])('%j → %i', (s, tiyin) => {
    expect(parseAmountTiyin(s)).toBe(tiyin);
  });

  it('a suspicious amount in a credit is bad_amount', () => {
    for (const a of ['2.000.1', '20.001.00', '1.5']) {
      expect(parseBotMessage(`🎉 To'ldirish\n➕ ${a} UZS\n💳 HUMOCARD *7159`, HUMO)).toEqual(no('bad_amount'));
    }
  });
});

describe('headroom above 10^12 so’m', () => {
  it('MAX_TIYIN is 10^15 and still a safe integer', () => {
    expect(MAX_TIYIN).toBe(10 ** 15);
    expect(Number.isSafeInteger(MAX_TIYIN)).toBe(true);
  });

  it('a requested 10^12 so’m plus an offset parses', () => {
    expect(parseBotMessage("🎉 To'ldirish\n➕ 1.000.000.000.001,00 UZS\n💳 HUMOCARD *7159", HUMO)).toEqual(
      credit(100_000_000_000_100, '7159'),
    );
    expect(parseAmountTiyin('1 000 001 000 000.00')).toBe(100_000_100_000_000);
    expect(parseAmountTiyin('10.000.000.000.000,00')).toBe(MAX_TIYIN);
    expect(parseAmountTiyin('10.000.000.000.000,01')).toBeNull();
    expect(parseAmountTiyin('99.999.999.999.999,99')).toBeNull();
  });
});

describe('card masks', () => {
  it('keeps a two-star mask', () => {
    expect(parseBotMessage(humo('🎉 Пополнение').replace('*7159', '**7159'), HUMO)).toEqual(credit(2000100, '7159'));
    expect(parseBotMessage(cx('🟢 Perevod na kartu').replace('***7159', '**7159'), CX)).toEqual(credit(2000100, '7159', 'cardxabar'));
  });

  it('still strips ** markdown around amounts and words', () => {
    const md = "🎉 **To'ldirish**\n➕ **2.200,00 UZS**\n💳 HUMOCARD **7466\n💰 **3.040,61 UZS**";
    expect(parseBotMessage(md, HUMO)).toEqual(credit(220000, '7466'));
  });

  it('two different masks on the card line are ambiguous', () => {
    expect(parseBotMessage(humo('🎉 Пополнение').replace('💳 HUMOCARD *7159', '💳 *0042 → *7159'), HUMO)).toEqual(no('ambiguous'));
    expect(parseBotMessage(`${humo('🎉 Пополнение')}\n💳 HUMOCARD *0042`, HUMO)).toEqual(no('ambiguous'));
    expect(parseBotMessage(humo('🎉 Пополнение').replace('*7159', '*7159 (*7159)'), HUMO)).toEqual(credit(2000100, '7159'));
  });

  it('two different masks outside the merchant line, with no card line, are ambiguous', () => {
    expect(parseBotMessage("To'ldirish\n12.000,00 UZS\nPAYNET*1234 TASH\nHUMOCARD *7042", HUMO)).toEqual(no('ambiguous'));
  });
});
