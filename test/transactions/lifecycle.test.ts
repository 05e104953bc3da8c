import { afterAll, describe, expect, it } from 'vitest';
import { createTransaction } from '../../src/transactions/create.js';
import { applyCredit, listUnmatched } from '../../src/transactions/credit.js';
import { getTransaction } from '../../src/transactions/get.js';
import { sweepOnce } from '../../src/transactions/sweep.js';
import { createTxContext, type TxContext } from '../../src/transactions/context.js';
import { closeAllRedis, openRedis, testContext, uniquePrefix, DEFAULT_RULES } from '../helpers/redis.js';

afterAll(closeAllRedis);

async function created(ctx: TxContext, som: number, card?: string) {
  const r = await createTransaction(ctx, { amountSom: som, ...(card ? { card } : {}) });
  if (r.kind !== 'created') throw new Error(`expected created, got ${r.kind}`);
  return r.tx;
}

/** A context whose clock the test moves. */
async function clocked(rules: Partial<typeof DEFAULT_RULES> = {}, prefix = uniquePrefix()) {
  const clock = { offsetMs: 0 };
  const ctx = createTxContext(await openRedis(), prefix, { ...DEFAULT_RULES, ...rules }, clock);
  return { ctx, advance: (ms: number) => (clock.offsetMs += ms) };
}

const events = async (ctx: TxContext) =>
  (await ctx.redis.xrange(ctx.keys.events, '-', '+')).map(([, f]) => `${f[3]}:${f[1]}`);

describe('confirming by credit', () => {
  it('confirms exactly once under 30 concurrent identical credits', async () => {
    const ctx = await testContext();
    const tx = await created(ctx, 20000);
    const results = await Promise.all(
      Array.from({ length: 30 }, () => applyCredit(ctx, { amountTiyin: tx.amountTiyin, last4: '7159', messageKey: 'humo:1', bot: 'humo' })),
    );
    expect(results.filter((r) => r.result === 'matched')).toHaveLength(1);
    expect(results.filter((r) => r.result === 'already_processed')).toHaveLength(29);
    expect((await getTransaction(ctx, tx.id))?.state).toBe('confirmed');
    expect(await events(ctx)).toEqual([`confirm:${tx.id}`]);
  });

  it('confirms once when 30 different messages of the same amount race', async () => {
    const ctx = await testContext();
    const tx = await created(ctx, 20000);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => applyCredit(ctx, { amountTiyin: tx.amountTiyin, last4: null, messageKey: `humo:${i}`, bot: 'humo' })),
    );
    expect(results.filter((r) => r.result === 'matched')).toHaveLength(1);
    expect(results.filter((r) => r.result === 'already_confirmed')).toHaveLength(29);
    expect(await events(ctx)).toEqual([`confirm:${tx.id}`]);
  });

  it('matches the exact amount only, to the tiyin', async () => {
    const ctx = await testContext();
    const tx = await created(ctx, 20000);
    expect((await applyCredit(ctx, { amountTiyin: tx.amountTiyin + 1, last4: null, messageKey: 'a', bot: 'humo' })).result).toBe('no_match');
    expect((await applyCredit(ctx, { amountTiyin: tx.amountTiyin - 100, last4: null, messageKey: 'b', bot: 'humo' })).result).toBe('no_match');
    expect((await getTransaction(ctx, tx.id))?.state).toBe('pending');
    const unmatched = await listUnmatched(ctx);
    expect(unmatched.map((u) => [u.reason, u.amount_tiyin])).toEqual([
      ['no_match', tx.amountTiyin - 100],
      ['no_match', tx.amountTiyin + 1],
    ]);
  });

  it('matches on the card named in the message when CARDS is set', async () => {
    const ctx = await testContext({ cards: ['7159', '0042'] });
    const a = await created(ctx, 1000, '7159');
    const b = await created(ctx, 1000, '0042');
    expect(a.amountTiyin).toBe(b.amountTiyin);
    const r = await applyCredit(ctx, { amountTiyin: b.amountTiyin, last4: '0042', messageKey: 'm1', bot: 'humo' });
    expect(r).toMatchObject({ result: 'matched', transactionId: b.id });
    expect((await getTransaction(ctx, a.id))?.state).toBe('pending');
    const other = await applyCredit(ctx, { amountTiyin: a.amountTiyin, last4: '9999', messageKey: 'm2', bot: 'humo' });
    expect(other.result).toBe('no_match');
    expect(other.detail).toMatch(/not in CARDS/);
    const ambiguous = await created(ctx, 1000, '0042');
    expect(ambiguous.amountTiyin).toBe(a.amountTiyin + 100);
    await created(ctx, 1000, '7159'); // now both cards hold 1001 so'm
    const noCard = await applyCredit(ctx, { amountTiyin: a.amountTiyin + 100, last4: null, messageKey: 'm3', bot: 'humo' });
    expect(noCard.result).toBe('no_match');
    expect(noCard.detail).toMatch(/several cards/);
  });
});

describe('expiry', () => {
  it('cancels after the TTL exactly once with two sweepers, then quarantines the amount', async () => {
    const prefix = uniquePrefix();
    const one = await clocked({ ttlMs: 1000, quarantineMs: 60_000 }, prefix);
    const two = createTxContext(await openRedis(), prefix, one.ctx.rules, one.ctx.clock);
    const tx = await created(one.ctx, 700);
    expect((await sweepOnce(one.ctx)).expired).toEqual([]);
    one.advance(1001);
    const [r1, r2] = await Promise.all([sweepOnce(one.ctx), sweepOnce(two)]);
    expect([...r1.expired, ...r2.expired]).toEqual([tx.id]);
    const after = await getTransaction(one.ctx, tx.id);
    expect(after).toMatchObject({ state: 'cancelled', cancelReason: 'expired' });
    expect(await events(one.ctx)).toEqual([`cancel:${tx.id}`]);

    // Quarantined: a new request at that price gets the next amount, and a late payment is 'late'.
    expect((await created(one.ctx, 700)).amountTiyin).toBe(70_100);
    const late = await applyCredit(one.ctx, { amountTiyin: 70_000, last4: null, messageKey: 'late-1', bot: 'humo' });
    expect(late).toMatchObject({ result: 'late', transactionId: tx.id });
    expect((await listUnmatched(one.ctx))[0]).toMatchObject({ reason: 'late', transaction_id: tx.id, amount_tiyin: 70_000 });
    expect(await events(one.ctx)).toEqual([`cancel:${tx.id}`]);

    // After the quarantine the amount is free again.
    one.advance(60_001);
    expect((await sweepOnce(one.ctx)).released).toBe(1);
    expect((await created(one.ctx, 700)).amountTiyin).toBe(70_000);
  });

  it('a credit on a cancelled transaction confirms nothing', async () => {
    const { ctx, advance } = await clocked({ ttlMs: 1000 });
    const tx = await created(ctx, 123);
    advance(2000);
    await sweepOnce(ctx);
    const r = await applyCredit(ctx, { amountTiyin: tx.amountTiyin, last4: null, messageKey: 'x', bot: 'humo' });
    expect(r.result).toBe('late');
    expect((await getTransaction(ctx, tx.id))?.state).toBe('cancelled');
  });

  it('confirm racing expiry at the deadline decides exactly one of the two', async () => {
    for (let round = 0; round < 20; round++) {
      const { ctx, advance } = await clocked({ ttlMs: 1000 });
      const tx = await created(ctx, 50);
      advance(1000);
      const [credit] = await Promise.all([
        applyCredit(ctx, { amountTiyin: tx.amountTiyin, last4: null, messageKey: `r${round}`, bot: 'humo' }),
        sweepOnce(ctx),
      ]);
      const ev = await events(ctx);
      expect(ev).toHaveLength(1);
      const state = (await getTransaction(ctx, tx.id))?.state;
      expect(ev[0]).toBe(state === 'confirmed' ? `confirm:${tx.id}` : `cancel:${tx.id}`);
      expect(credit.result).toBe(state === 'confirmed' ? 'matched' : 'late');
    }
  });
});

describe('quarantine release', () => {
  it('one pass releases every amount whose quarantine ended, however many (not 200 per second)', async () => {
    const { ctx, advance } = await clocked({ ttlMs: 1000, quarantineMs: 1000 });
    const txs = await Promise.all(Array.from({ length: 450 }, (_, i) => created(ctx, 1000 + i)));
    advance(1001);
    while ((await sweepOnce(ctx)).expired.length > 0); // expiry goes a batch per pass (the sweeper loops)
    expect(await ctx.redis.zcard(ctx.keys.amounts('_'))).toBe(txs.length);
    advance(1001);
    expect((await sweepOnce(ctx)).released).toBe(txs.length);
    expect(await ctx.redis.zcard(ctx.keys.quarantine)).toBe(0);
    expect(await ctx.redis.zcard(ctx.keys.amounts('_'))).toBe(0);
  });
});

describe('record retention', () => {
  it('keeps a pending record without a TTL (expiry may be held for days) and 7 days once closed', async () => {
    const ctx = await testContext();
    const tx = await created(ctx, 100);
    expect(await ctx.redis.pttl(ctx.keys.tx(tx.id))).toBe(-1);
    await applyCredit(ctx, { amountTiyin: tx.amountTiyin, last4: null, messageKey: 'keep-1', bot: 'humo' });
    const ttl = await ctx.redis.pttl(ctx.keys.tx(tx.id));
    expect(ttl).toBeGreaterThan(ctx.rules.keepMs - 60_000);
    expect(ttl).toBeLessThanOrEqual(ctx.rules.keepMs);
  });
});
