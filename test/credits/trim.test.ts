// Retention: old resolved credits leave the all-credits index; an open one never does.
import { afterAll, describe, expect, it } from 'vitest';
import { trimCredits } from '../../src/credits/trim.js';
import { closeAllRedis, testContext } from '../helpers/redis.js';

afterAll(closeAllRedis);

describe('credit retention', () => {
  it('drops old resolved credits from the all-credits index and keeps old open ones', async () => {
    const ctx = await testContext({ creditKeepMs: 1000 });
    const k = ctx.keys;
    const now = 1_800_000_000_000;
    const old = now - 10_000;
    await ctx.redis.zadd(k.creditsAll, old, 'cr_open', old, 'cr_resolved', now, 'cr_new');
    await ctx.redis.zadd(k.creditsOpen, old, 'cr_open');
    await ctx.redis.zadd(k.creditsResolved, old, 'cr_resolved');
    await trimCredits(ctx, now);
    expect(await ctx.redis.zrange(k.creditsAll, 0, -1)).toEqual(['cr_open', 'cr_new']);
    expect(await ctx.redis.zrange(k.creditsResolved, 0, -1)).toEqual([]);
    expect(await ctx.redis.zrange(k.creditsOpen, 0, -1)).toEqual(['cr_open']);
  });
});
