// Password guessing (issue #15 item 9): after 10 wrong logins from one address
// within a minute, that address gets 429 with Retry-After, even with the right password; other
// addresses are unaffected; X-Forwarded-For counts only with TRUST_PROXY=true.
import { afterAll, describe, expect, it } from 'vitest';
import { AUTH, startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

const WRONG = 'Basic ' + Buffer.from('merchant:guess').toString('base64');
const get = (d: TestDaemon, authorization: string, forwardedFor?: string) =>
  d.call('/transaction/00000000-0000-4000-8000-000000000000', {
    auth: false,
    headers: { authorization, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
  });

describe('failed-login limit', () => {
  it('answers 429 with Retry-After after repeated failures from one address, and counts them', async () => {
    const d = await startTestDaemon();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await get(d, WRONG)).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    const limited = await get(d, AUTH); // the right password too: guessing must not go on
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body.data.detail).toMatch(/too many failed logins/);
    // Without TRUST_PROXY a forged X-Forwarded-For changes nothing.
    expect((await get(d, AUTH, '203.0.113.9')).status).toBe(429);
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(metrics).toMatch(/paycue_auth_failures_total\{outcome="unauthorized"\} 10/);
    expect(metrics).toMatch(/paycue_auth_failures_total\{outcome="limited"\} 4/);
  });

  it('with TRUST_PROXY=true limits the client named last in X-Forwarded-For, not the proxy', async () => {
    const d = await startTestDaemon({ TRUST_PROXY: 'true' });
    for (let i = 0; i < 10; i++) expect((await get(d, WRONG, `198.51.100.1, 203.0.113.7`)).status).toBe(401);
    expect((await get(d, WRONG, '203.0.113.7')).status).toBe(429);
    expect((await get(d, AUTH, '203.0.113.8')).status).toBe(404); // another client behind the same proxy
  });
});

describe('failed-login limit per IPv6 /64 (issue 18 part 5)', () => {
  it('addresses of one /64 share the limit; another /64 and IPv4 spelled as ::ffff: are their own', async () => {
    const d = await startTestDaemon({ TRUST_PROXY: 'true' });
    // A guesser rotating the low 64 bits gets no fresh budget.
    for (let i = 0; i < 10; i++) expect((await get(d, WRONG, `2001:db8:7:1::${(i + 1).toString(16)}`)).status).toBe(401);
    expect((await get(d, AUTH, '2001:db8:7:1:abcd:ef01:2345:6789')).status).toBe(429);
    expect((await get(d, AUTH, '2001:db8:7:2::1')).status).toBe(404); // the neighbouring /64
    // IPv4 counts per address whether the proxy writes it plain or IPv4-mapped.
    for (let i = 0; i < 10; i++) expect((await get(d, WRONG, i % 2 ? '203.0.113.7' : '::ffff:203.0.113.7')).status).toBe(401);
    expect((await get(d, AUTH, '203.0.113.7')).status).toBe(429);
    expect((await get(d, AUTH, '203.0.113.8')).status).toBe(404);
  });
});
