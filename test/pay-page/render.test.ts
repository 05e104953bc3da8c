// The page's pure parts: amounts per language, language choice, the countdown's colour stage,
// link templates and escaping.
import { describe, expect, it } from 'vitest';
import { amountDigits, chooseLang, formatAmount, fromAcceptLanguage } from '../../src/pay-page/i18n/index.js';
import { applyPublished, buildStatus, fillLink, type PayStatus } from '../../src/pay-page/status.js';
import { renderPayPage } from '../../src/pay-page/render.js';
import type { Transaction } from '../../src/transactions/record.js';

const NBSP = '\u00a0';

describe('amounts', () => {
  it('are written the way the bank writes them, from integer tiyin', () => {
    expect(formatAmount(2_000_100, 'uz')).toBe(`20${NBSP}001,00${NBSP}so'm`);
    expect(formatAmount(2_000_100, 'ru')).toBe(`20${NBSP}001${NBSP}сум`);
    expect(formatAmount(2_000_150, 'ru')).toBe(`20${NBSP}001,50${NBSP}сум`);
    expect(formatAmount(2_000_001, 'en')).toBe(`20${NBSP}000.01${NBSP}UZS`);
    expect(formatAmount(100_000_000_000_099, 'uz')).toBe(`1${NBSP}000${NBSP}000${NBSP}000${NBSP}000,99${NBSP}so'm`);
  });

  it('copy as digits only, with a decimal point only when there are tiyin', () => {
    expect(amountDigits(2_000_100)).toBe('20001');
    expect(amountDigits(2_000_001)).toBe('20000.01');
    expect(amountDigits(2_000_010)).toBe('20000.10');
  });

  it('fill link templates in so\'m and tiyin', () => {
    expect(fillLink('https://a.example/?s={amount}&t={amount_tiyin}', 2_000_100, 'som')).toBe('https://a.example/?s=20001&t=2000100');
    expect(fillLink('https://a.example/?s={amount}', 2_000_001, 'tiyin')).toBe('https://a.example/?s=20000.01');
  });
});

describe('language', () => {
  it('?lang= wins, then the merchant\'s lang, then Accept-Language, then Uzbek', () => {
    expect(chooseLang('ru', 'en', 'uz')).toBe('ru');
    expect(chooseLang(undefined, 'en', 'ru')).toBe('en');
    expect(chooseLang('xx', undefined, 'de-DE,ru;q=0.8,en;q=0.9')).toBe('en');
    expect(chooseLang(undefined, undefined, 'de')).toBe('uz');
    expect(fromAcceptLanguage('uz-Latn-UZ;q=0.5, ru-RU')).toBe('ru');
    expect(fromAcceptLanguage('en;q=0')).toBeUndefined();
  });
});

function status(leftMs: number, totalMs = 100_000, card = ''): PayStatus {
  const now = 1_800_000_000_000;
  const tx: Transaction = {
    id: '622ea789-5b4c-4e6a-a76b-415ac144eb34', amountTiyin: 2_000_100, requestedTiyin: 2_000_000, card: '7159', state: 'pending',
    createdAt: now + leftMs - totalMs, expiresAt: now + leftMs, webhookState: 'pending', webhookAttempts: 0, webhookRound: 0, idem: '',
    metadata: { secret: 'x' },
  };
  return buildStatus(tx, card, 'som', now);
}

const timerClass = (html: string) => /<section class="box timer([^"]*)" id="timer"/.exec(html)?.[1]?.trim();
const page = (st: PayStatus) => renderPayPage(st, { lang: 'en', sandbox: false, path: `/pay/${st.transaction_id}` });

describe('countdown', () => {
  it('is plain above 30 % left, warning at 30 %, danger at 10 %', () => {
    expect(timerClass(page(status(31_000)))).toBe('');
    expect(timerClass(page(status(30_000)))).toBe('warning');
    expect(timerClass(page(status(10_001)))).toBe('warning');
    expect(timerClass(page(status(10_000)))).toBe('danger');
    expect(page(status(83_000))).toContain('<span class="clock" id="clock" role="timer">01:23</span>');
  });
});

describe('status', () => {
  it('a published decision changes the state only', () => {
    const st = status(50_000);
    const paid = applyPublished(st, 'confirmed', 1_800_000_001_000);
    expect(paid).toMatchObject({ state: 'paid', paid_at: new Date(1_800_000_001_000).toISOString(), amount: 20001, transaction_id: st.transaction_id });
    expect(applyPublished(st, 'late', 1)?.state).toBe('late');
    expect(applyPublished(st, 'something-new', 1)).toBeNull();
  });

  it('escapes what the operator typed', () => {
    const card = JSON.stringify({ number: '9860100000027159', holder: 'O\'ZBEK "HOLDER" & CO', label: '<b>x</b>', bot: 'humo', links: [{ title: '"><i>', url: 'https://a.example/?a=1&b={amount}' }], added_at: 0 });
    const html = page(status(50_000, 100_000, card));
    expect(html).toContain('O&#39;ZBEK &quot;HOLDER&quot; &amp; CO');
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(html).toContain('href="https://a.example/?a=1&amp;b=20001">&quot;&gt;&lt;i&gt;</a>');
    expect(html).not.toContain('<b>x</b>');
    expect(html).not.toContain('secret');
  });
});
