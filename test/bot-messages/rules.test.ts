// One block per parsing rule, each with near-misses that must NOT become credits.
import { describe, expect, it } from 'vitest';
import {
  BOTS,
  MAX_TEXT_CHARS,
  botNameFor,
  formatCardXabar,
  formatHumo,
  humoCreditMessage,
  humoDebitMessage,
  humoReversalMessage,
  messageLines,
  parseAmountTiyin,
  parseBotMessage,
  type ParseResult,
} from '../../src/bot-messages/index.js';
import { credit, no } from './verdicts.js';

const HUMO = BOTS.humo;
const CX = BOTS.cardxabar;

const humoCredit = (amount: string, card = '💳 HUMOCARD *7159', balance = '💰 23.378,71 UZS'): string =>
  ["🎉 To'ldirish", `➕ ${amount} UZS`, '📍 Click P2P WALLET 2', card, '🕓 05:36 16.06.2026', balance].join('\n');
const cxCredit = (amount: string, header = '🟢 Perevod na kartu'): string =>
  [header, `➕ ${amount} UZS`, '💳 ***4862', '📍 CLICK P2P H2UEW, UZ', '🕓 26.07.26 15:37', '💵 63 083 777.62 UZS'].join('\n');


describe('bots', () => {
  it('knows exactly the two bot ids', () => {
    expect(botNameFor(856254490)).toBe('humo');
    expect(botNameFor(915326936)).toBe('cardxabar');
    expect(botNameFor(856254491)).toBeNull();
    expect(botNameFor(0)).toBeNull();
    expect(botNameFor(Number.NaN)).toBeNull();
  });
});

describe('parseAmountTiyin', () => {
  it.each([
    ['1.010,00', 101000],
    ['1 010.00', 101000],
    ['1\u00A0010.00', 101000],
    ['1\u202F010.00', 101000],
    ['1\u00A0010,00', 101000],
    ['9,900,00', 990000],
    ['5.000,0', 500000],
    ['100300.00', 10030000],
    ['20000', 2000000],
    ['0,50', 50],
    ['0.05', 5],
    ['11.488.000,00', 1148800000],
    ['13 870 000.00', 1387000000],
    ['1.000.000.000.000,00', 100_000_000_000_000],
    ['10.000.000.000.000,00', 1_000_000_000_000_000],
    ['  1.010,00  ', 101000],
  ])('%j → %i', (s, tiyin) => {
    expect(parseAmountTiyin(s)).toBe(tiyin);
  });

  it.each([
    '',
    ' ',
    '10.000.000.000.000,01', // above MAX_TIYIN (10^13 so'm)
    '10000000000001',
    '1,500', // 1.5 or 1500: ambiguous
    '99999999999999999999999.00',
    '1..010,00',
    '1.010,',
    ',50',
    '1.01.000',
    '1.0100,00',
    '1 010,000', // a "," thousands group after a space one
    '1.010 000,00',
    '01.000,00',
    '00,50',
    '1e5',
    '-5,00',
    '+5,00',
    '0x10',
    '5,00 UZS',
    '١٢٣',
    '1.010,00.5',
    '1'.repeat(100),
  ])('%j → null', (s) => {
    expect(parseAmountTiyin(s)).toBeNull();
  });

  it('formats the way each bot writes', () => {
    expect(formatHumo(101000)).toBe('1.010,00');
    expect(formatCardXabar(101000)).toBe('1 010.00');
    expect(formatHumo(5)).toBe('0,05');
    expect(formatCardXabar(1387000000)).toBe('13 870 000.00');
    expect(() => formatHumo(1.5)).toThrow(RangeError);
    expect(() => formatCardXabar(-1)).toThrow(RangeError);
  });
});

describe('senders', () => {
  it('a credit from either bot is a credit', () => {
    expect(parseBotMessage(humoCredit('1.010,00'), HUMO)).toEqual(credit(101000, '7159'));
    expect(parseBotMessage(cxCredit('1 010.00'), CX)).toEqual(credit(101000, '4862', 'cardxabar'));
  });

  it('the same text from anyone else is a spoof', () => {
    for (const sender of [111111111, HUMO + 1, CX - 1, 0, -HUMO, Number.NaN]) {
      expect(parseBotMessage(humoCredit('1.010,00'), sender)).toEqual(no('unknown_sender'));
      expect(parseBotMessage(cxCredit('1 010.00'), sender)).toEqual(no('unknown_sender'));
    }
  });

  it("a bot's credit header means nothing coming from the other bot", () => {
    expect(parseBotMessage(humoCredit('1.010,00'), CX).credit).toBe(false);
    expect(parseBotMessage(cxCredit('1 010.00'), HUMO).credit).toBe(false);
  });

  it('knows every credit header', () => {
    expect(parseBotMessage(humoCredit('1.010,00').replace("To'ldirish", 'Пополнение'), HUMO)).toEqual(credit(101000, '7159'));
    for (const h of ['🟢 Perevod na kartu', '🟢 Popolnenie scheta', "🟢 Kartaga o'tkazma"]) {
      expect(parseBotMessage(cxCredit('540 000.00', h), CX)).toEqual(credit(54000000, '4862', 'cardxabar'));
    }
  });

  it('a near-miss header is not a credit', () => {
    for (const h of ['🎉 To\'ldirish bekor qilindi', '🎉 Пополнение отменено', '🎉 Toldirishlar', '🎉 Пополнение карты 2']) {
      expect(parseBotMessage(humoCredit('1.010,00').replace("🎉 To'ldirish", h), HUMO).credit).toBe(false);
    }
  });
});

describe('the amount comes from the ➕ line', () => {
  it('ignores a balance line with the same amount', () => {
    expect(parseBotMessage(humoCredit('50.000,00', '💳 HUMOCARD *7159', '💰 50.000,00 UZS'), HUMO)).toEqual(credit(5000000, '7159'));
  });

  it('ignores a balance line placed before the ➕ line', () => {
    const text = "🎉 To'ldirish\n💰 99.999,99 UZS\n➕ 1.010,00 UZS\n💳 HUMOCARD *7159";
    expect(parseBotMessage(text, HUMO)).toEqual(credit(101000, '7159'));
  });

  it('never takes the balance when the ➕ line is missing', () => {
    expect(parseBotMessage("🎉 To'ldirish\n📍 SHOP\n💳 HUMOCARD *7159\n💰 23.378,71 UZS", HUMO)).toEqual(no('bad_amount'));
    expect(parseBotMessage("To'ldirish\nSHOP\nHUMOCARD *7159\n23.378,71 UZS", HUMO)).toEqual(no('bad_amount'));
  });

  it('uses the line right after the header when the emoji were stripped', () => {
    expect(parseBotMessage("To'ldirish\n 12.000,00 UZS\n SHOP\n HUMOCARD *7042\n 66.766,69 UZS", HUMO)).toEqual(credit(1200000, '7042'));
  });

  it('accepts a plain "+" sign', () => {
    expect(parseBotMessage("🎉 To'ldirish\n+ 5.000,0 UZS\n💳 HUMOCARD *3954", HUMO)).toEqual(credit(500000, '3954'));
  });

  it('rejects conflicting or doubled amount lines', () => {
    expect(parseBotMessage("🎉 To'ldirish\n➖ 1.010,00 UZS\n💳 HUMOCARD *7159", HUMO)).toEqual(no('ambiguous'));
    expect(parseBotMessage("🎉 To'ldirish\n➕ 1.010,00 UZS\n➕ 2.000,00 UZS\n💳 HUMOCARD *7159", HUMO)).toEqual(no('ambiguous'));
    expect(parseBotMessage(`${humoCredit('1.010,00')}\n${humoDebitMessage(101000, '7159')}`, HUMO)).toEqual(no('ambiguous'));
  });

  it('only counts UZS', () => {
    expect(parseBotMessage("🎉 To'ldirish\n➕ 100,00 USD\n💳 HUMOCARD *7159", HUMO)).toEqual(no('not_uzs'));
    expect(parseBotMessage('🟢 Perevod na kartu\n➕ 100.00 RUB\n💳 ***4862', CX)).toEqual(no('not_uzs'));
    expect(parseBotMessage("🎉 To'ldirish\n➕ 1.010,00\n💳 HUMOCARD *7159", HUMO)).toEqual(no('bad_amount'));
    expect(parseBotMessage("🎉 To'ldirish\n➕ 1.010,00 so'm\n💳 HUMOCARD *7159", HUMO)).toEqual(credit(101000, '7159'));
  });

  it('rejects zero, malformed and out-of-range amounts', () => {
    for (const a of ['0,00', 'abc', '1.01.0,00', '10.000.000.000.000,01', '99.999.999.999.999.999,00', '1e9']) {
      expect(parseBotMessage(humoCredit(a), HUMO)).toEqual(no('bad_amount'));
    }
    expect(parseBotMessage(humoCredit('1.000.000.000.000,00'), HUMO)).toEqual(credit(1e14, '7159'));
  });
});

describe('non-credits', () => {
  it('a reversal of exactly a pending amount is not a credit', () => {
    const pending = 2000100;
    expect(parseBotMessage(humoCreditMessage(pending, '7159'), HUMO)).toEqual(credit(pending, '7159'));
    expect(parseBotMessage(humoReversalMessage(pending, '7159'), HUMO)).toEqual(no('reversal'));
    expect(parseBotMessage(cxCredit(formatCardXabar(pending), '🟢 OTMENA Perevod na kartu'), CX)).toEqual(no('reversal'));
    expect(parseBotMessage(cxCredit(formatCardXabar(pending), '🟢 OTMENA Pokupka'), CX)).toEqual(no('reversal'));
  });

  it('debits, withdrawals and fees', () => {
    expect(parseBotMessage(humoDebitMessage(101000, '7159'), HUMO)).toEqual(no('debit'));
    for (const h of ["💸 To'lov", '🏧 Снятие наличных', '🏧 Naqd pul yechish']) {
      expect(parseBotMessage(`${h}\n➖ 505.000,00 UZS\n💳 HUMOCARD *4428`, HUMO)).toEqual(no('debit'));
    }
    expect(parseBotMessage('🔴 Spisanie c karty\n➖ 50 000.00 UZS\n💳 ***4862', CX)).toEqual(no('debit'));
    expect(parseBotMessage('➖ 36.000,00 UZS\n💳 HUMOCARD *1951', HUMO)).toEqual(no('debit'));
  });

  it('"Операция" with ➕ is ambiguous, with ➖ a debit', () => {
    expect(parseBotMessage('💸 Операция\n➕ 50.000,00 UZS\n💳 HUMOCARD *1951', HUMO)).toEqual(no('ambiguous'));
    expect(parseBotMessage('💸 Операция\n➖ 50.000,00 UZS\n💳 HUMOCARD *1951', HUMO)).toEqual(no('debit'));
  });

  it('an unknown header with ➕ is never a credit', () => {
    expect(parseBotMessage('🎁 Bonus\n➕ 50.000,00 UZS\n💳 HUMOCARD *1951', HUMO)).toEqual(no('ambiguous'));
  });

  it('declines, balances, service messages, adverts', () => {
    expect(parseBotMessage('NEDOSTATOCHNO SREDSTV 8600***4411 30.09.25 POS purchase 100300.00 UZS', CX)).toEqual(no('declined'));
    expect(parseBotMessage('ℹ️ Счет по карте изменен\n💸 6.935.000,00 UZS\n💳 HUMO-CARD *6714', HUMO)).toEqual(no('balance'));
    expect(parseBotMessage('🔹 HUMOCARD *3954\n💵 5 000.00 UZS', HUMO)).toEqual(no('balance'));
    expect(parseBotMessage('✅ Подписка успешно активирована до 01.08.2025', HUMO)).toEqual(no('service'));
    expect(parseBotMessage("Chegirmalar mavsumi! 100 mln so'mgacha https://example.invalid", HUMO)).toEqual(no('unrecognised'));
    expect(parseBotMessage('', HUMO)).toEqual(no('unrecognised'));
  });
});

describe('last-4', () => {
  it.each([
    ['💳 HUMOCARD *7159', '7159'],
    ['💳 ***4862', '4862'],
    ['💳 561468******4862', '4862'],
    ['🏦 HUMOCARD *2747', '2747'],
    ['HUMOCARD *9963', '9963'],
    ['💳 __561468******4862__', '4862'],
    ['💳 HUMOCARD *71590', null],
    ['💳 HUMOCARD', null],
  ])('%j → %j', (card, last4) => {
    expect(parseBotMessage(humoCredit('1.010,00', card), HUMO)).toEqual(credit(101000, last4));
  });

  it('takes the card line, not a mask in the merchant name', () => {
    const text = "🎉 To'ldirish\n➕ 1.010,00 UZS\n📍 PAYNET*1234 TASH\n💳 HUMOCARD *7159";
    expect(parseBotMessage(text, HUMO)).toEqual(credit(101000, '7159'));
    expect(parseBotMessage("🎉 To'ldirish\n➕ 1.010,00 UZS\n📍 PAYNET*1234 TASH", HUMO)).toEqual(credit(101000, null));
  });
});

describe('what real copies contain', () => {
  const base = humoCredit('1.010,00');
  const expected = credit(101000, '7159');

  it.each(["'", '\u2019', '\u2018', '\u02BB', '`', '\u02BC'])('apostrophe %j', (a) => {
    expect(parseBotMessage(base.replace("'", a), HUMO)).toEqual(expected);
    expect(parseBotMessage(cxCredit('1 010.00', `🟢 Kartaga o${a}tkazma`), CX)).toEqual(credit(101000, '4862', 'cardxabar'));
  });

  it.each(['\u00A0', '\u202F'])('thousands separated by %j', (sp) => {
    expect(parseBotMessage(cxCredit(`13${sp}870${sp}000.00`), CX)).toEqual(credit(1387000000, '4862', 'cardxabar'));
    expect(parseBotMessage(base.replace('➕ 1.010,00 UZS', `➕${sp}1.010,00${sp}UZS`), HUMO)).toEqual(expected);
  });

  it('CRLF and lone CR line ends', () => {
    expect(parseBotMessage(base.replaceAll('\n', '\r\n'), HUMO)).toEqual(expected);
    expect(parseBotMessage(base.replaceAll('\n', '\r'), HUMO)).toEqual(expected);
    expect(parseBotMessage(`${base.replaceAll('\n', '\r\n')}\r\n`, HUMO)).toEqual(expected);
  });

  it('markdown ** and __ wrappers', () => {
    const md = "🎉 **To'ldirish**\n➕ **1.010,00 UZS**\n📍 __Click P2P__\n💳 HUMOCARD *7159\n💰 **23.378,71 UZS**";
    expect(parseBotMessage(md, HUMO)).toEqual(expected);
    expect(parseBotMessage('**🟢 Perevod na kartu**\n➕ __1 010.00 UZS__\n💳 ***4862', CX)).toEqual(credit(101000, '4862', 'cardxabar'));
  });

  it('U+FE0F variation selectors anywhere', () => {
    expect(parseBotMessage(base.replaceAll('➕', '➕\uFE0F').replaceAll('🎉', '🎉\uFE0F').replaceAll('💳', '💳\uFE0F'), HUMO)).toEqual(expected);
  });

  it('the Telegram Desktop sender line', () => {
    expect(parseBotMessage(`HUMO Card, [16.06.2026 05:36]\n${base}`, HUMO)).toEqual(expected);
    expect(parseBotMessage(`CardXabar, [14.04.2025 21:52]\n${cxCredit('1 010.00')}`, CX)).toEqual(credit(101000, '4862', 'cardxabar'));
    // Only as the first line: further down it is not skipped and makes the message unsafe.
    expect(parseBotMessage(`${base}\nHUMO Card, [16.06.2026 05:36]\n🎉 To'ldirish\n➕ 5,00 UZS`, HUMO).credit).toBe(false);
  });

  it('no newlines at all', () => {
    expect(parseBotMessage(base.replaceAll('\n', ''), HUMO)).toEqual(expected);
    expect(parseBotMessage(base.replaceAll('\n', ' '), HUMO)).toEqual(expected);
    expect(parseBotMessage(humoDebitMessage(101000, '7159').replaceAll('\n', ''), HUMO)).toEqual(no('debit'));
  });

  it('leading and trailing blank lines and spaces', () => {
    expect(parseBotMessage(`\n\n  ${base.replaceAll('\n', '  \n  ')}  \n\n`, HUMO)).toEqual(expected);
  });

  it('normalises lines the same way for every variant', () => {
    const variants = [
      base.replaceAll('\n', '\r\n'),
      base.replaceAll('\n', ''),
      `HUMO Card, [16.06.2026 05:36]\n${base}`,
      base.replace("'", '\u02BB').replaceAll('🎉', '🎉\uFE0F'),
    ];
    for (const v of variants) expect(messageLines(v)).toEqual(messageLines(base));
  });
});

describe('hostile input', () => {
  it('5 MB input returns quickly without throwing', () => {
    const huge = humoCredit('1.010,00') + '\n'.padEnd(5 * 1024 * 1024, 'x➕*1,');
    const t0 = performance.now();
    expect(parseBotMessage(huge, HUMO)).toEqual(no('too_long'));
    expect(parseBotMessage('➕'.repeat(3 * 1024 * 1024), HUMO).credit).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('worst cases just under the size limit stay fast', () => {
    const pad = (unit: string): string => unit.repeat(Math.floor((MAX_TEXT_CHARS - 40) / unit.length));
    const cases: Array<[string, ParseResult]> = [
      [`🎉 To'ldirish\n➕ ${pad('1.')} UZS`, no('bad_amount')],
      [`🎉 To'ldirish\n➕ 1,00 UZS\n💳 ${pad('*')}`, credit(100, null)],
      [`🎉 To'ldirish\n➕ 1,00 UZS\n💳 ${pad('*123')}`, credit(100, null)],
      [`🎉 To'ldirish\n➕ 1,00 UZS\n💳 ${pad('1')}`, credit(100, null)],
      [`HUMO Card, ${pad('[')}`, no('unrecognised')],
      [`${pad('!')}a`, no('unrecognised')],
      [pad('➕ 1\n'), no('ambiguous')],
      [pad('  '), no('unrecognised')],
      [pad('**__'), no('unrecognised')],
      [pad("🎉 To'ldirish\n"), no('ambiguous')],
    ];
    const t0 = performance.now();
    for (const [text, want] of cases) {
      expect(text.length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
      expect(parseBotMessage(text, HUMO)).toEqual(want);
    }
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('binary garbage, lone surrogates, NULs and non-strings', () => {
    let seed = 42;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + (rnd() % 2000) }, () => rnd() % 256));
      expect(parseBotMessage(bytes.toString('latin1'), HUMO).credit).toBe(false);
      expect(parseBotMessage(bytes.toString('utf8'), CX).credit).toBe(false);
    }
    expect(parseBotMessage('\uD800\uDC00\uDFFF\uD83C🎉\u0000➕\uD800 1,00 UZS', HUMO).credit).toBe(false);
    expect(parseBotMessage(`\u0000${humoCredit('1.010,00')}`, HUMO).credit).toBe(false);
    for (const v of [null, undefined, 42, {}, [], Symbol('x'), { toString: () => { throw new Error('boom'); } }]) {
      expect(parseBotMessage(v as unknown as string, HUMO)).toEqual(no('unrecognised'));
    }
    expect(parseBotMessage(humoCredit('1.010,00'), '856254490' as unknown as number)).toEqual(no('unknown_sender'));
  });
});
