// Start-up as an operator meets it: Redis not there yet, and no Telegram session.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startLocalRedis, type LocalRedis } from '../../src/dev/local-redis.js';
import { AUTH, PASS, USER } from '../helpers/daemon.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';
import { runChild, type Child } from '../helpers/child.js';
import { waitFor } from '../helpers/wait.js';

const children: Child[] = [];
const servers: LocalRedis[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

describe('start-up', () => {
  it('with Redis not yet running: serves 503s instead of crash-looping, then works once Redis starts', async () => {
    const [port, redisPort] = [await freePort(), await freePort()];
    const c = runChild([], {
      API_USERNAME: USER, API_PASSWORD: PASS, SANDBOX: 'true', HOST: '127.0.0.1', PORT: String(port),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    });
    children.push(c);
    await waitFor('the API to listen', async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, { timeoutMs: 15_000 });
    const create = () =>
      fetch(`http://127.0.0.1:${port}/create/transaction/`, {
        method: 'POST',
        headers: { authorization: AUTH, 'content-type': 'application/json' },
        body: '{"amount": 1000}',
        signal: AbortSignal.timeout(5000),
      });
    expect((await create()).status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(503);
    expect(c.proc.exitCode).toBe(null);

    servers.push(await startLocalRedis({ port: redisPort }));
    await waitFor('creates to succeed', async () => (await create()).status === 200, { timeoutMs: 15_000 });
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
    c.proc.kill('SIGTERM');
    expect(await c.exited).toBe(0);
  }, 40_000);

  it('SIGHUP drains and exits 0 like SIGTERM', async () => {
    const port = await freePort();
    const c = runChild([], {
      API_USERNAME: USER, API_PASSWORD: PASS, SANDBOX: 'true', HOST: '127.0.0.1', PORT: String(port),
      REDIS_URL: redisUrl(), REDIS_PREFIX: uniquePrefix(),
    });
    children.push(c);
    await waitFor('the API to be ready', async () => (await fetch(`http://127.0.0.1:${port}/ready`)).ok, { timeoutMs: 15_000 });
    c.proc.kill('SIGHUP');
    expect(await c.exited).toBe(0);
    expect(c.output()).toMatch(/"reason":"SIGHUP".*shutting down/);
    expect(c.output()).toMatch(/paycue stopped/);
  }, 30_000);

  it('without a Telegram session: exits non-zero and tells the operator to log in', async () => {
    const port = await freePort();
    const c = runChild([], {
      API_USERNAME: USER, API_PASSWORD: PASS, HOST: '127.0.0.1', PORT: String(port),
      APP_ID: '12345', APP_HASH: '0123456789abcdef0123456789abcdef', WEBHOOK_URL: 'http://127.0.0.1:9/hook',
      REDIS_URL: redisUrl(), REDIS_PREFIX: uniquePrefix(), SESSION_DIR: join(mkdtempSync(join(tmpdir(), 'paycue-s-')), 'sessions'),
    });
    children.push(c);
    expect(await c.exited).toBe(2); // only the operator can fix it: systemd must not restart
    expect(c.output()).toMatch(/no Telegram session in .*run `paycue --telegram`/);
  }, 30_000);
});
