// A WEBHOOK_URL with credentials and a token in its query: the credentials go as an
// Authorization header, and neither they nor the query string are shown anywhere.
import { afterEach, describe, expect, it } from 'vitest';
import { scrubUrl, webhookTarget } from '../../src/webhooks/target.js';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { captureLog } from '../telegram/helpers.js';
import { waitFor } from '../helpers/wait.js';

const receivers: Receiver[] = [];
afterEach(async () => {
  await stopTestDaemons();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  await closeAllRedis();
});

const PASSWORD = 'p@ss-w0rd';
const TOKEN = 'tok-secret-123';

describe('WEBHOOK_URL with credentials', () => {
  it('sends userinfo as Basic auth and never logs or stores the password or the query', async () => {
    // The first delivery fails, so the attempt log and the failure path are exercised too.
    const receiver = await startReceiver((_r, n) => (n === 1 ? { status: 500, body: 'down' } : { status: 200, body: '{"ok":true}' }));
    receivers.push(receiver);
    const base = new URL(receiver.url);
    const url = `http://shop:${encodeURIComponent(PASSWORD)}@${base.host}${base.pathname}?token=${TOKEN}`;
    const logs = captureLog();
    const d = await startTestDaemon({ WEBHOOK_URL: url, WEBHOOK_BACKOFF: '100ms' }, { log: logs.log });
    const tx = (await d.call('/create/transaction/', { body: { amount: 7000 } })).body.data;
    await d.call('/sandbox/credit', { body: { amount: tx.amount } });

    const [first, second] = await receiver.waitFor(2);
    for (const hit of [first!, second!]) {
      expect(hit.headers.authorization).toBe(`Basic ${Buffer.from(`shop:${PASSWORD}`).toString('base64')}`);
    }
    await waitFor('the webhook to be delivered', async () => (await d.call(`/transaction/${tx.transaction_id}`)).body.data.webhook.state === 'delivered');
    const record = JSON.stringify((await d.call(`/transaction/${tx.transaction_id}`)).body);
    const everything = logs.text() + record;
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), TOKEN, 'shop:']) expect(everything).not.toContain(secret);
    expect(logs.text()).toContain(`"webhook":"http://${base.host}${base.pathname}"`);
  });

  it('keeps only origin and path of a URL quoted in an error message', () => {
    const target = webhookTarget(`https://u:secret@shop.example/hooks/paycue?token=${TOKEN}`);
    expect(target.url).toBe(`https://shop.example/hooks/paycue?token=${TOKEN}`);
    expect(target.display).toBe('https://shop.example/hooks/paycue');
    const message = `connect failed for https://shop.example/hooks/paycue?token=${TOKEN} (see ?token=${TOKEN})`;
    expect(scrubUrl(message, target)).toBe('connect failed for https://shop.example/hooks/paycue (see )');
  });
});

describe('attempt errors stored by an older paycue', () => {
  it('are shown without the URL password or query', async () => {
    const { scrubUrls } = await import('../../src/log/logger.js');
    const old = 'Request cannot be constructed from a URL that includes credentials: http://shop:pw1@h.uz:8080/hook?token=t0k#x';
    expect(scrubUrls(old)).toBe('Request cannot be constructed from a URL that includes credentials: http://h.uz:8080/hook#x');
    expect(scrubUrls('ECONNREFUSED 127.0.0.1:9')).toBe('ECONNREFUSED 127.0.0.1:9');

    const d = await startTestDaemon();
    const tx = (await d.call('/create/transaction/', { body: { amount: 4100 } })).body.data;
    await d.ctx.redis.rpush(d.ctx.keys.attempts(tx.transaction_id), JSON.stringify({ at: new Date().toISOString(), status: null, error: old, duration_ms: 1 }));
    const shown = JSON.stringify((await d.call(`/transaction/${tx.transaction_id}`)).body.data.webhook.attempt_log);
    expect(shown).toContain('http://h.uz:8080/hook');
    expect(shown).not.toMatch(/pw1|t0k/);
  });
});
