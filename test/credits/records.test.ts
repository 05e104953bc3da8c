// Credit records at the operation level: the amount read from an ambiguous message (without
// changing `paycue parse`'s verdict), retention of the raw text, and a failed late_payment.
import { afterAll, describe, expect, it } from 'vitest';
import { BOTS, parseBotMessage, reviewAmount } from '../../src/bot-messages/index.js';
import { formatResult } from '../../src/cli/parse-command.js';
import { getCredit } from '../../src/credits/get.js';
import { applyCredit } from '../../src/transactions/credit.js';
import { sweepOnce } from '../../src/transactions/sweep.js';
import { closeAllRedis, testContext } from '../helpers/redis.js';

afterAll(closeAllRedis);

describe('reviewAmount', () => {
  it('reads the one ➕ amount of an ambiguous message; parse still says only {credit: false, reason}', () => {
    const text = '💸 Операция\n➕ 1.010,00 UZS\n📍 SHOP*1234\n💳 HUMOCARD *7159';
    expect(formatResult(parseBotMessage(text, BOTS.humo))).toBe('{"credit":false,"reason":"ambiguous"}');
    expect(reviewAmount(text, 'humo')).toEqual({ amount_tiyin: 101000, last4: '7159' });
    expect(reviewAmount('Что-то новое\n➕ 351 750.00 UZS\n💳 ***4862', 'cardxabar')).toEqual({ amount_tiyin: 35175000, last4: '4862' });
  });

  it('nothing for a credit, a reversal, a debit, two amounts or an unreadable amount', () => {
    expect(reviewAmount("🎉 To'ldirish\n➕ 1.010,00 UZS\n💳 HUMOCARD *7159", 'humo')).toBeNull();
    expect(reviewAmount('❌ Отмена операций карты\n➕ 1.010,00 UZS\n💳 HUMOCARD *7159', 'humo')).toBeNull();
    expect(reviewAmount('💸 Оплата\n➖ 1.010,00 UZS\n💳 HUMOCARD *7159', 'humo')).toBeNull();
    expect(reviewAmount('💸 Операция\n➕ 1.010,00 UZS\n➕ 2.000,00 UZS', 'humo')).toBeNull();
    expect(reviewAmount('💸 Операция\n➕ 1,500 UZS', 'humo')).toBeNull();
  });
});

describe('retention', () => {
  it('the raw text is trimmed when its time is up; the open record stays', async () => {
    const ctx = await testContext({ creditTextKeepMs: 1000 });
    const out = await applyCredit(ctx, { amountTiyin: 500, last4: null, bot: 'humo', messageKey: 'k:1', text: 'the bank text' });
    expect(out.result).toBe('no_match');
    const id = out.creditId as string;
    expect((await getCredit(ctx, id))?.text).toBe('the bank text');
    await sweepOnce(ctx);
    expect((await getCredit(ctx, id))?.text).toBe('the bank text');
    ctx.clock.offsetMs += 1001;
    await sweepOnce(ctx);
    const c = await getCredit(ctx, id);
    expect(c).toMatchObject({ state: 'open', text: null, amountTiyin: 500 });
    expect(await ctx.redis.pttl(ctx.keys.credit(id))).toBe(-1); // open: no TTL
    expect(await ctx.redis.zscore(ctx.keys.creditsOpen, id)).not.toBeNull();
  });
});
