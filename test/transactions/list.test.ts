// GET /transactions stays cheap at 100,000 records: a page, first or deep, is a constant number
// of Redis calls (counted on the connection, not timed), and paging over equal timestamps
// neither skips nor repeats a record.
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/lists/page.js';
import { listTransactions } from '../../src/transactions/list.js';
import type { TxContext } from '../../src/transactions/context.js';
import { closeAllRedis, testContext } from '../helpers/redis.js';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { countCommands } from '../../src/dev/count-commands.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

const T0 = Date.UTC(2026, 10, 1);

/** `n` records, `perMs` sharing each created_at; every 10th confirmed, card 7159 or 0042. */
async function seed(ctx: TxContext, n: number, perMs: number): Promise<void> {
  const k = ctx.keys;
  for (let start = 0; start < n; start += 5000) {
    const p = ctx.redis.pipeline();
    for (let i = start; i < Math.min(n, start + 5000); i++) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const at = T0 + Math.floor(i / perMs);
      const state = i % 10 === 0 ? 'confirmed' : 'pending';
      p.hset(k.tx(id), 'id', id, 'amount', String(100_000 + (i % 1000) * 100), 'requested', '100000', 'card', i % 2 ? '7159' : '0042',
        'state', state, 'created_at', String(at), 'expires_at', String(at + 1_800_000), 'wh_state', 'pending', 'wh_attempts', '0');
      p.zadd(k.txIndex, at, id);
      if (state === 'pending') p.zadd(k.deadlines, at + 1_800_000, id);
      else p.zadd(k.txState(state), at, id);
    }
    await p.exec();
  }
}

describe('transaction list', () => {
  it('100,000 records: first and deep pages each cost 2 Redis calls; filtered pages a bounded few', async () => {
    const ctx = await testContext({ cards: ['7159', '0042'] });
    await seed(ctx, 100_000, 3);
    const counter = countCommands(ctx.redis as Redis); // the test Redis is one node

    counter.reset();
    const first = await listTransactions(ctx, { limit: 200 });
    expect(counter.calls()).toBe(2);
    expect(first.items).toHaveLength(200);
    expect(first.items[0]?.transaction_id).toMatch(/099999$/);
    expect(first.next_cursor).not.toBeNull();

    // 60,000 records down, resumed from a cursor: still one range read and one record read.
    const [, score] = await ctx.redis.zrevrange(ctx.keys.txIndex, 60_000, 60_000, 'WITHSCORES');
    const deepStart = await ctx.redis.zrevrangebyscore(ctx.keys.txIndex, score!, score!);
    counter.reset();
    const deep = await listTransactions(ctx, { limit: 200, cursor: encodeCursor({ score: Number(score), skip: 0 }) });
    expect(counter.calls()).toBe(2);
    expect(deep.items).toHaveLength(200);
    expect(deep.items[0]?.transaction_id).toBe(deepStart.sort().reverse()[0]);

    counter.reset();
    const confirmed = await listTransactions(ctx, { limit: 200, state: 'confirmed' });
    expect(counter.calls()).toBe(2);
    expect(confirmed.items.every((t) => t.state === 'confirmed')).toBe(true);
    expect(confirmed.items).toHaveLength(200);

    counter.reset();
    const byCard = await listTransactions(ctx, { limit: 200, card: '7159', state: 'pending' });
    expect(counter.calls()).toBeLessThanOrEqual(10);
    expect(byCard.items.length).toBeGreaterThan(0);
    expect(byCard.items.every((t) => t.card === '7159' && t.state === 'pending')).toBe(true);

    // An amount held by one record in 1,000: the page stops after its few chunks and says where.
    counter.reset();
    const byAmount = await listTransactions(ctx, { limit: 200, amountTiyin: 100_000 + 5 * 100 });
    expect(counter.calls()).toBeLessThanOrEqual(10);
    expect(byAmount.items.every((t) => t.amount_tiyin === 100_500)).toBe(true);
    expect(byAmount.next_cursor).not.toBeNull();
  }, 120_000); // seeds 100,000 records: minutes on a busy machine

  it('pages over equal timestamps neither skip nor repeat; from/to bound the range', async () => {
    const ctx = await testContext();
    await seed(ctx, 1000, 10);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listTransactions(ctx, { limit: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((t) => t.transaction_id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(1000);
    expect(new Set(seen).size).toBe(1000);
    const bounded = await listTransactions(ctx, { limit: 200, from: T0 + 10, to: T0 + 19 });
    expect(bounded.items).toHaveLength(100);
    expect(bounded.next_cursor).toBeNull();
  });

  it('GET /transactions: the list shape, filters, and 400s for bad ones', async () => {
    const d = await startTestDaemon({ CARDS: '7159' });
    const a = (await d.call('/create/transaction/', { body: { amount: 1000 } })).body.data;
    const b = (await d.call('/create/transaction/', { body: { amount: 2000 } })).body.data;
    await d.call(`/transaction/${a.transaction_id}/cancel`, { method: 'POST' });
    const all = await d.call('/transactions');
    expect(all.body).toMatchObject({ status: true, data: { next_cursor: null } });
    expect(all.body.data.items.map((t: { transaction_id: string }) => t.transaction_id)).toEqual([b.transaction_id, a.transaction_id]);
    const pending = await d.call('/transactions?state=pending&card=7159&amount=2000');
    expect(pending.body.data.items).toMatchObject([{ transaction_id: b.transaction_id, state: 'pending', card: '7159' }]);
    expect((await d.call('/transactions?state=cancelled')).body.data.items).toMatchObject([{ transaction_id: a.transaction_id }]);
    for (const bad of ['state=paid', 'limit=201', 'amount=-1', 'card=71', 'from=yesterday', 'cursor=%%%']) {
      expect((await d.call(`/transactions?${bad}`)).status, bad).toBe(400);
    }
    expect((await d.call('/transactions', { auth: false })).status).toBe(401);
  });
});
