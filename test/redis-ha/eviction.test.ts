// A Redis that may evict keys under memory pressure would silently drop transactions and
// undelivered webhooks: start-up is refused, naming the setting (issue #13).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startLocalRedis, type LocalRedis } from '../../src/dev/local-redis.js';
import { StartupError } from '../../src/daemon/startup-error.js';
import { startTestDaemon, stopTestDaemons, USER, PASS } from '../helpers/daemon.js';
import { runChild } from '../helpers/child.js';

let redis: LocalRedis;

beforeAll(async () => {
  redis = await startLocalRedis({ persist: true });
  const admin = new Redis(redis.url);
  await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
  admin.disconnect();
});

afterAll(async () => {
  await stopTestDaemons();
  await redis.stop();
});

describe('maxmemory-policy allkeys-lru', () => {
  it('refuses to start the daemon (StartupError, exit code 2)', async () => {
    const err = await startTestDaemon({ REDIS_URL: redis.url }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as StartupError).message).toMatch(/maxmemory-policy is allkeys-lru/);
    expect((err as StartupError).message).toMatch(/noeviction/);
    expect((err as StartupError).exitCode).toBe(2);
  });

  it('bin/paycue exits 2 naming the setting', async () => {
    const child = runChild([], { API_USERNAME: USER, API_PASSWORD: PASS, SANDBOX: 'true', REDIS_URL: redis.url, HOST: '127.0.0.1', PORT: '0' });
    expect(await child.exited).toBe(2);
    expect(child.output()).toMatch(/maxmemory-policy is allkeys-lru/);
  });

  it('starts when REDIS_ALLOW_EVICTION=true accepts the risk', async () => {
    const d = await startTestDaemon({ REDIS_URL: redis.url, REDIS_ALLOW_EVICTION: 'true' });
    expect((await d.call('/ready', { auth: false })).status).toBe(200);
  });
});
