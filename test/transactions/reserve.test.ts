import { afterAll, describe, expect, it } from 'vitest';
import { createTransaction } from '../../src/transactions/create.js';
import { closeAllRedis, testContext } from '../helpers/redis.js';

afterAll(closeAllRedis);

const amountOf = (r: Awaited<ReturnType<typeof createTransaction>>) => {
  if (r.kind === 'full') throw new Error('unexpectedly full');
  return r.tx.amountTiyin;
};

describe('reserving amounts', () => {
  it('hands out the requested amount first, then the next so\'m up', async () => {
    const ctx = await testContext();
    const a = await createTransaction(ctx, { amountSom: 20000 });
    const b = await createTransaction(ctx, { amountSom: 20000 });
    expect([amountOf(a), amountOf(b)]).toEqual([2_000_000, 2_000_100]);
  });

  it('200 concurrent creates at one price get 200 distinct amounts within LIMIT', async () => {
    const ctx = await testContext({ limit: 250 });
    const results = await Promise.all(Array.from({ length: 200 }, () => createTransaction(ctx, { amountSom: 5000 })));
    const amounts = results.map(amountOf);
    expect(new Set(amounts).size).toBe(200);
    for (const a of amounts) {
      expect(a).toBeGreaterThanOrEqual(500_000);
      expect(a).toBeLessThanOrEqual(500_000 + 250 * 100);
    }
    // First free slot each time: exactly the first 200 offsets.
    expect([...amounts].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => 500_000 + i * 100));
  });

  it('two daemons (separate connections) on one Redis never share an amount', async () => {
    const prefix = `shared${Date.now()}`;
    const one = await testContext({ limit: 100 }, prefix);
    const two = await testContext({ limit: 100 }, prefix);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => createTransaction(i % 2 ? one : two, { amountSom: 700 })),
    );
    expect(new Set(results.map(amountOf)).size).toBe(100);
  });

  it('answers full once LIMIT is exhausted', async () => {
    const ctx = await testContext({ limit: 3 });
    for (let i = 0; i < 4; i++) expect((await createTransaction(ctx, { amountSom: 100 })).kind).toBe('created');
    expect((await createTransaction(ctx, { amountSom: 100 })).kind).toBe('full');
  });

  it('counts down and never below one step', async () => {
    const ctx = await testContext({ direction: 'down', limit: 10 });
    expect(amountOf(await createTransaction(ctx, { amountSom: 2 }))).toBe(200);
    expect(amountOf(await createTransaction(ctx, { amountSom: 2 }))).toBe(100);
    expect((await createTransaction(ctx, { amountSom: 2 })).kind).toBe('full');
  });

  it('steps by one tiyin in tiyin mode', async () => {
    const ctx = await testContext({ step: 'tiyin' });
    const got = [];
    for (let i = 0; i < 3; i++) got.push(amountOf(await createTransaction(ctx, { amountSom: 20000 })));
    expect(got).toEqual([2_000_000, 2_000_001, 2_000_002]);
  });

  it('fills a gap left in the middle of a taken range', async () => {
    const ctx = await testContext({ limit: 50, quarantineMs: 0 });
    const txs = [];
    for (let i = 0; i < 10; i++) {
      const r = await createTransaction(ctx, { amountSom: 300 });
      if (r.kind !== 'created') throw new Error('not created');
      txs.push(r.tx);
    }
    const { cancelTransaction } = await import('../../src/transactions/cancel.js');
    expect(await cancelTransaction(ctx, txs[6]!.id, txs[6]!.card, 'cancelled', false)).toBe('cancelled');
    expect(amountOf(await createTransaction(ctx, { amountSom: 300 }))).toBe(30_600);
    expect(amountOf(await createTransaction(ctx, { amountSom: 300 }))).toBe(31_000);
  });

  it('picks the least-loaded card and keeps amounts unique per card', async () => {
    const ctx = await testContext({ cards: ['7159', '0042'] });
    const cards = [];
    for (let i = 0; i < 4; i++) {
      const r = await createTransaction(ctx, { amountSom: 1000 });
      if (r.kind !== 'created') throw new Error('not created');
      cards.push([r.tx.card, r.tx.amountTiyin]);
    }
    expect(cards).toEqual([
      ['7159', 100_000],
      ['0042', 100_000],
      ['7159', 100_100],
      ['0042', 100_100],
    ]);
    const fixed = await createTransaction(ctx, { amountSom: 1000, card: '0042' });
    expect(fixed.kind === 'created' && [fixed.tx.card, fixed.tx.amountTiyin]).toEqual(['0042', 100_200]);
  });

  it('returns the same transaction for the same Idempotency-Key', async () => {
    const ctx = await testContext();
    const a = await createTransaction(ctx, { amountSom: 900, idempotencyKey: 'order-1' });
    const b = await createTransaction(ctx, { amountSom: 900, idempotencyKey: 'order-1' });
    const c = await createTransaction(ctx, { amountSom: 901, idempotencyKey: 'order-1' });
    expect(a.kind).toBe('created');
    expect(b.kind).toBe('existing');
    expect(b.kind !== 'full' && a.kind !== 'full' && b.tx.id).toBe(a.kind !== 'full' && a.tx.id);
    expect(c.kind).toBe('idempotency_conflict');
    const concurrent = await Promise.all(
      Array.from({ length: 20 }, () => createTransaction(ctx, { amountSom: 50, idempotencyKey: 'order-2' })),
    );
    expect(new Set(concurrent.map((r) => (r.kind === 'full' ? 'full' : r.tx.id))).size).toBe(1);
  });

  it('keeps exact amounts at the top of the range (10^12 so\'m)', async () => {
    const ctx = await testContext();
    const a = await createTransaction(ctx, { amountSom: 1_000_000_000_000 });
    const b = await createTransaction(ctx, { amountSom: 1_000_000_000_000 });
    expect([amountOf(a), amountOf(b)]).toEqual([100_000_000_000_000, 100_000_000_000_100]);
  });
});

describe('changing AMOUNT_STEP with transactions pending', () => {
  it("so'm mode still finds free so'm amounts next to tiyin-mode amounts, and counts again once they are gone", async () => {
    const { createTxContext } = await import('../../src/transactions/context.js');
    const { sweepOnce } = await import('../../src/transactions/sweep.js');
    const tiyin = await testContext({ step: 'tiyin', limit: 7, quarantineMs: 1 });
    for (let i = 0; i < 8; i++) expect(amountOf(await createTransaction(tiyin, { amountSom: 100 }))).toBe(10_000 + i);
    const clock = { offsetMs: 0 };
    const som = createTxContext(tiyin.redis, (tiyin.keys.cardLoad.match(/^\{(.+)\}/) as RegExpMatchArray)[1]!, { ...tiyin.rules, step: 'som' }, clock);
    // 100 so'm (10000 tiyin) is taken; 101..107 so'm are free although 8 amounts sit in range.
    expect(amountOf(await createTransaction(som, { amountSom: 100 }))).toBe(10_100);
    expect(amountOf(await createTransaction(som, { amountSom: 100 }))).toBe(10_200);
    // Once the tiyin-mode transactions expire and their quarantine ends, the counting fast path is back.
    clock.offsetMs += tiyin.rules.ttlMs + 10;
    await sweepOnce(som);
    clock.offsetMs += 10;
    await sweepOnce(som);
    expect(await som.redis.hget(som.keys.cardLoad, 'offgrid:_')).toBe('0');
    expect(amountOf(await createTransaction(som, { amountSom: 100 }))).toBe(10_000);
  });
});

describe('concurrent creates sharing a reservation call', () => {
  it('keep every request\'s own outcome: created, full, idempotent repeat, fixed or chosen card', async () => {
    const ctx = await testContext({ limit: 2, cards: ['1111', '2222'] });
    const results = await Promise.all([
      ...Array.from({ length: 4 }, () => createTransaction(ctx, { amountSom: 10, card: '1111' })),
      createTransaction(ctx, { amountSom: 50, idempotencyKey: 'same' }),
      createTransaction(ctx, { amountSom: 50, idempotencyKey: 'same' }),
      createTransaction(ctx, { amountSom: 70 }),
      createTransaction(ctx, { amountSom: 70 }),
    ]);
    const kinds = results.map((r) => r.kind);
    expect(kinds.slice(0, 4)).toEqual(['created', 'created', 'created', 'full']);
    expect(results.slice(0, 3).map((r) => r.kind !== 'full' && [r.tx.card, r.tx.amountTiyin])).toEqual([
      ['1111', 1000], ['1111', 1100], ['1111', 1200],
    ]);
    expect(kinds.slice(4, 6).sort()).toEqual(['created', 'existing']);
    const [i1, i2] = results.slice(4, 6).map((r) => (r.kind === 'full' ? '' : r.tx.id));
    expect(i1).toBe(i2);
    // Least-loaded choice sees the reservations made earlier in the same call.
    const seventy = results.slice(6).map((r) => (r.kind === 'full' ? '' : r.tx.card));
    expect(new Set(seventy)).toEqual(new Set(['2222']));
  });
});

describe('changing AMOUNT_STEP while counting down', () => {
  it("walks past taken so'm amounts and ignores off-grid ones", async () => {
    const tiyin = await testContext({ step: 'tiyin', direction: 'down', limit: 5 });
    for (let i = 0; i < 3; i++) expect(amountOf(await createTransaction(tiyin, { amountSom: 100 }))).toBe(10_000 - i);
    const prefix = (tiyin.keys.cardLoad.match(/^\{(.+)\}/) as RegExpMatchArray)[1]!;
    const { createTxContext } = await import('../../src/transactions/context.js');
    const som = createTxContext(tiyin.redis, prefix, { ...tiyin.rules, step: 'som' });
    // 100 so'm is taken (10000 tiyin); 99.99 and 99.98 are off the so'm grid and do not count.
    expect(amountOf(await createTransaction(som, { amountSom: 100 }))).toBe(9_900);
    expect(amountOf(await createTransaction(som, { amountSom: 100 }))).toBe(9_800);
    expect(amountOf(await createTransaction(som, { amountSom: 99 }))).toBe(9_700);
  });
});
