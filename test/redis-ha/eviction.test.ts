// A Redis that may evict keys under memory pressure would silently drop transactions and
// undelivered webhooks: start-up is refused, naming the setting (issue #13).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startLocalRedis, type LocalRedis } from '../../src/dev/local-redis.js';
import { StartupError } from '../../src/daemon/startup-error.js';
import { startTestDaemon, stopTestDaemons, USER, PASS } from '../helpers/daemon.js';
import { runChild } from '../helpers/child.js';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log/logger.js';
import { waitFor } from '../helpers/wait.js';

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

describe('a Redis that changes under a running daemon', () => {
  it('after a reconnect to a server that evicts, the daemon says so in an error line', async () => {
    const fresh = await startLocalRedis({ persist: true });
    try {
      const lines: string[] = [];
      const log = createLogger({
        format: 'json', level: 'info',
        destination: new Writable({ write(chunk: Buffer, _e, done) { lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)); done(); } }),
      });
      const d = await startTestDaemon({ REDIS_URL: fresh.url }, { log });
      expect(lines.join('\n')).not.toMatch(/may evict/);
      const admin = new Redis(fresh.url);
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes'); // as a failover to another server would
      admin.disconnect();
      await waitFor('the error line after the reconnect', async () => (lines.some((l) => /now writes to may evict/.test(l)) ? true : undefined));
      expect((await d.call('/ready', { auth: false })).status).toBe(200); // it keeps serving
    } finally {
      await stopTestDaemons();
      await fresh.stop();
    }
  });
});

