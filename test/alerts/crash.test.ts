// A crash (SIGKILL) between recording a credit and alerting: after the restart the alert is sent
// once and the credit is still open. The bot token never appears in the output.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/local-redis.js';
import { AUTH, PASS, USER } from '../helpers/daemon.js';
import { closeAllRedis, redisUrl, uniquePrefix } from '../helpers/redis.js';
import { runChild, type Child } from '../helpers/child.js';
import { waitFor } from '../helpers/wait.js';
import { startBotApi, TOKEN, type BotApi } from '../helpers/bot-api.js';

const CHAT = 5151;
const children: Child[] = [];
const apis: BotApi[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  await Promise.all(apis.splice(0).map((a) => a.close()));
});
afterAll(closeAllRedis);

async function call(port: number, path: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await res.json()) as { status: boolean; data: any };
}

describe('alert outbox', () => {
  it('SIGKILL before the alert went out → after restart it is sent once, the credit still open', async () => {
    const api = await startBotApi(CHAT);
    apis.push(api);
    api.mode = 'down';
    const port = await freePort();
    const env = {
      API_USERNAME: USER, API_PASSWORD: PASS, SANDBOX: 'true', HOST: '127.0.0.1', PORT: String(port),
      REDIS_URL: redisUrl(), REDIS_PREFIX: uniquePrefix(), ALERT_BOT_TOKEN: TOKEN, ALERT_CHAT_ID: String(CHAT), ALERT_API_ROOT: api.url,
    };
    const first = runChild([], env);
    children.push(first);
    await waitFor('the daemon to listen', async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok);
    const out = (await call(port, '/sandbox/credit', { amount: 777 })).data;
    expect(out.reason).toBe('no_match');
    await waitFor('an attempt to alert', async () => api.calls.includes('sendMessage (down)'));
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBe(null);

    api.mode = 'up';
    const second = runChild([], env);
    children.push(second);
    await waitFor('the alert after the restart', async () => api.sent.some((m) => m.text.includes(out.credit_id)), { timeoutMs: 20_000 });
    // A few more ticks: it is not sent again.
    await new Promise((r) => setTimeout(r, 2500));
    expect(api.sent.filter((m) => m.text.includes(out.credit_id))).toHaveLength(1);
    expect((await call(port, `/credits/${out.credit_id}`)).data).toMatchObject({ state: 'open', verdict: 'no_match' });
    second.proc.kill('SIGTERM');
    await second.exited;
    expect(first.output() + second.output()).not.toContain(TOKEN);
    expect(first.output() + second.output()).not.toContain(TOKEN.split(':')[1]);
  }, 60_000);

  it('ALERT_BOT_TOKEN without ALERT_CHAT_ID: exit 2 naming the variable, the token not shown', async () => {
    const c = runChild([], { API_USERNAME: USER, API_PASSWORD: PASS, SANDBOX: 'true', REDIS_URL: redisUrl(), ALERT_BOT_TOKEN: TOKEN });
    children.push(c);
    expect(await c.exited).toBe(2);
    expect(c.output()).toMatch(/ALERT_CHAT_ID: required with ALERT_BOT_TOKEN/);
    const bad = runChild([], { API_USERNAME: USER, API_PASSWORD: PASS, SANDBOX: 'true', REDIS_URL: redisUrl(), ALERT_BOT_TOKEN: 'not-a-token-secret', ALERT_CHAT_ID: 'me' });
    children.push(bad);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/ALERT_BOT_TOKEN: expected a bot token/);
    expect(bad.output()).toMatch(/ALERT_CHAT_ID: expected a Telegram user or group id/);
    expect(bad.output()).not.toContain('not-a-token-secret');
  });
});
