// REDIS_MIN_REPLICAS more than the replicas that confirm: nothing is acknowledged. Against one
// real redis-server with no replica at all, so WAIT can never be satisfied.
import { afterAll, describe, expect, it } from 'vitest';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

describe('REDIS_MIN_REPLICAS=1 without a replica', () => {
  it('a create is a 503 that says why (not "unreachable"), its Idempotency-Key replay too, and /ready is 503', async () => {
    const d = await startTestDaemon({ REDIS_MIN_REPLICAS: '1' });
    const headers = { 'idempotency-key': 'order-1' };
    const first = await d.call('/create/transaction/', { body: { amount: 5000 }, headers });
    expect(first.status).toBe(503);
    expect(first.body.data.detail).toMatch(/^Redis refuses writes \(NOREPLICAS\)/);
    expect(first.headers.get('retry-after')).toBeTruthy();
    // The reservation was written on the primary but never acknowledged: its replay must not be either.
    const replay = await d.call('/create/transaction/', { body: { amount: 5000 }, headers });
    expect(replay.status).toBe(503);
    const ready = await d.call('/ready', { auth: false });
    expect(ready.status).toBe(503);
    expect(ready.body.data.redis).toBe('refusing_writes');
  });
});
