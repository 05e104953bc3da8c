// Idempotency-Key (issue #15 item 4): a replay reports the transaction's state, even once it
// closed; a different body under the same key is a 409; and the key lives as long as its
// transaction is pending, even when expiry is held past the TTL.
import { afterAll, describe, expect, it } from 'vitest';
import { cancelTransaction } from '../../src/transactions/cancel.js';
import { createTransaction } from '../../src/transactions/create.js';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis, testContext } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

describe('Idempotency-Key', () => {
  it('a replay after the transaction closed answers its state; another body under the key is a 409', async () => {
    const d = await startTestDaemon();
    const headers = { 'idempotency-key': 'order-77' };
    const body = { amount: 2500, metadata: { order: 77, customer: 'c-1' } };
    const first = await d.call('/create/transaction/', { body, headers });
    expect(first.status).toBe(200);
    expect(first.body.data.state).toBe('pending');
    const tx = first.body.data;
    expect((await d.call('/sandbox/credit', { body: { amount: tx.amount } })).body.data.matched).toBe(true);

    const replay = await d.call('/create/transaction/', { body, headers });
    expect(replay.status).toBe(200);
    expect(replay.body.data).toMatchObject({ transaction_id: tx.transaction_id, amount: tx.amount, state: 'confirmed' });
    expect(replay.body.data.confirmed_at).toMatch(/^\d{4}-/);
    // The same metadata with its keys in another order is the same request.
    const reordered = await d.call('/create/transaction/', { body: { amount: 2500, metadata: { customer: 'c-1', order: 77 } }, headers });
    expect(reordered.body.data.transaction_id).toBe(tx.transaction_id);

    for (const other of [{ amount: 2500, metadata: { order: 78, customer: 'c-1' } }, { amount: 2500 }]) {
      const conflict = await d.call('/create/transaction/', { body: other, headers });
      expect(conflict.status).toBe(409);
      expect(conflict.body.data.detail).toMatch(/Idempotency-Key was already used for a different request/);
    }
  });

  it('keeps the key while its transaction is pending past the TTL (expiry held), then lets it expire with the record', async () => {
    const ctx = await testContext({ ttlMs: 200 });
    const req = { amountSom: 900, idempotencyKey: 'order-held', metadata: { order: 1 } };
    const first = await createTransaction(ctx, req);
    if (first.kind !== 'created') throw new Error(first.kind);
    // No sweeper runs here: the transaction stays pending after its deadline, as while Telegram is down.
    await waitFor('the deadline to pass', () => Date.now() > first.tx.expiresAt + 200);
    const retry = await createTransaction(ctx, req);
    expect(retry.kind).toBe('existing');
    expect(retry.kind !== 'full' && retry.tx.id).toBe(first.tx.id);

    const [idemKey] = await ctx.redis.keys(ctx.keys.idempotency('*'));
    expect(await ctx.redis.pttl(idemKey!)).toBe(-1);
    expect(await cancelTransaction(ctx, first.tx.id, first.tx.card, 'expired', true, first.tx.idem)).toBe('cancelled');
    expect(await ctx.redis.pttl(idemKey!)).toBeGreaterThan(ctx.rules.keepMs - 60_000);
  });
});
