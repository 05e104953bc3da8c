// Waiting for Redis during an outage must not pile up listeners (MaxListenersExceededWarning).
import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis, createRedis } from '../../src/redis/client.js';
import { freePort } from '../../src/dev/local-redis.js';

const clients: ReturnType<typeof createRedis>[] = [];
afterAll(() => clients.forEach((c) => c.disconnect()));

describe('connectRedis', () => {
  it('leaves no ready listener behind when Redis does not answer', async () => {
    const redis = createRedis({ url: `redis://127.0.0.1:${await freePort()}`, name: 'test' });
    redis.on('error', () => undefined);
    clients.push(redis);
    const before = redis.listenerCount('ready');
    for (let i = 0; i < 15; i++) expect(await connectRedis(redis, 20)).toBe(false);
    // ioredis may hold one listener of its own while a connect attempt is in progress.
    expect(redis.listenerCount('ready')).toBeLessThanOrEqual(before + 1);
  });
});
