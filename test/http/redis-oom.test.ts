// Redis at maxmemory with noeviction (issue #15 item 6): writes are refused, so the API answers
// 503 with Retry-After (not 500), /ready says so, and no log line carries a request's metadata
// (the batched reservation script's arguments).
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { startLocalRedis, type LocalRedis } from '../../src/dev/local-redis.js';
import { AUTH, testConfig } from '../helpers/daemon.js';
import { closeAllRedis, openRedis } from '../helpers/redis.js';

let redis: LocalRedis | undefined;
let daemon: Daemon | undefined;
afterAll(async () => {
  await daemon?.stop(2000);
  await closeAllRedis();
  await redis?.stop();
});

describe('Redis refusing writes', () => {
  it('maxmemory reached → 503 with Retry-After, /ready reports it, no metadata in the logs', async () => {
    redis = await startLocalRedis();
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    daemon = await startDaemon(testConfig({ REDIS_URL: redis.url }), createLogger({ debug: false, level: 'info', destination: sink }));
    const url = `http://127.0.0.1:${daemon.port}`;
    const create = () =>
      fetch(`${url}/create/transaction/`, {
        method: 'POST',
        headers: { authorization: AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 1000, metadata: { customer: 'meta-secret-0042' } }),
      });
    expect((await create()).status).toBe(200);

    const admin = await openRedis(redis.url);
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    try {
      const refused = await create();
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await refused.json()) as { data: { detail: string } }).data.detail).toMatch(/Redis refuses writes/);
      const ready = await fetch(`${url}/ready`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { data: { redis: string } }).data.redis).toBe('refusing_writes');
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    expect((await create()).status).toBe(200);
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    expect(lines.join('')).not.toContain('meta-secret-0042');
  });
});
