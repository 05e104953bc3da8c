// The new operator commands as the binary runs them: wiring, exit codes, usage errors.
import { describe, expect, it } from 'vitest';
import { runChild } from '../helpers/child.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';

describe('paycue status / doctor / webhooks test from the command line', () => {
  it('--help lists them', async () => {
    const c = runChild(['-h'], {});
    expect(await c.exited).toBe(0);
    for (const word of ['status', 'doctor']) expect(c.output()).toContain(word);
    const w = runChild(['webhooks', '-h'], {});
    expect(await w.exited).toBe(0);
    expect(w.output()).toMatch(/test\s/);
    const r = runChild(['redis', 'replicas', '-h'], {});
    expect(await r.exited).toBe(0);
    expect(r.output()).toMatch(/show \[options\]\s/);
    expect(r.output()).toMatch(/set \[options\] <n>\s/);
  });

  it('redis replicas set on a single node, and a bad count, are usage errors (exit 2)', async () => {
    const single = runChild(['redis', 'replicas', 'set', '1', '--reason', 'x'], { REDIS_URL: redisUrl(), REDIS_PREFIX: uniquePrefix() });
    expect(await single.exited).toBe(2);
    expect(single.output()).toMatch(/a single Redis node has no failover/);
    const bad = runChild(['redis', 'replicas', 'set', 'eleven', '--reason', 'x'], {});
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/the replica count must be a whole number from 0 to 10/);
    const sw = runChild(['redis', 'switchover'], { REDIS_URL: redisUrl(), REDIS_PREFIX: uniquePrefix() });
    expect(await sw.exited).toBe(2);
    expect(sw.output()).toMatch(/a switchover needs Redis Sentinel/);
  });

  it('status --json exits 1 with no daemon on the prefix, and prints one JSON object', async () => {
    const c = runChild(['status', '--json'], { REDIS_URL: redisUrl(), REDIS_PREFIX: uniquePrefix(), SANDBOX: 'true' });
    expect(await c.exited).toBe(1);
    expect(JSON.parse(c.output())).toMatchObject({ role: 'all', healthy: false, daemon: { running: false } });
  });

  it('doctor exits 1 on a failed check; a bad variable is reported as a check, not a crash', async () => {
    const c = runChild(['doctor'], { REDIS_URL: redisUrl(), SANDBOX: 'true', API_USERNAME: 'shop', PORT: 'eighty' });
    expect(await c.exited).toBe(1);
    expect(c.output()).toMatch(/^fail  configuration: PORT: expected a whole number, got "eighty"; API_PASSWORD: required/m);
    expect(c.output()).toMatch(/^ok    redis: /m);
  });

  it('webhooks test without WEBHOOK_URL is a configuration error naming it (exit 2)', async () => {
    const c = runChild(['webhooks', 'test'], {});
    expect(await c.exited).toBe(2);
    expect(c.output()).toMatch(/WEBHOOK_URL: required to send a test event/);
  });
});
