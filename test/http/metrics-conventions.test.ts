import { afterAll, describe, expect, it } from 'vitest';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { startReceiver } from '../helpers/receiver.js';
import { KNOWN_LABELS } from '../../src/metrics/metrics.js';
import { ConfigError } from '../../src/config/env.js';
import { testConfig } from '../helpers/daemon.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

/** name{labels} → value, labels in the order prom-client prints them. */
async function scrape(url: string, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`, { headers });
  expect(res.status).toBe(200);
  const m = new Map<string, number>();
  for (const l of (await res.text()).split('\n')) {
    const hit = /^([a-zA-Z_:][\w:]*(?:\{.*\})?) (\S+)$/.exec(l);
    if (hit) m.set(hit[1]!, Number(hit[2]));
  }
  return m;
}

describe('/metrics by Prometheus conventions', () => {
  it('starts every counter at 0 for each known label, with build info and Redis up', async () => {
    const d = await startTestDaemon();
    const m = await scrape(d.url);
    for (const event of KNOWN_LABELS.transactions) expect(m.get(`paycue_transactions_total{event="${event}"}`)).toBe(0);
    for (const result of KNOWN_LABELS.credits) expect(m.get(`paycue_credits_total{result="${result}"}`)).toBe(0);
    for (const verdict of KNOWN_LABELS.botMessages) expect(m.get(`paycue_bot_messages_total{verdict="${verdict}"}`)).toBe(0);
    for (const outcome of KNOWN_LABELS.webhookAttempts) expect(m.get(`paycue_webhook_attempts_total{outcome="${outcome}"}`)).toBe(0);
    for (const outcome of KNOWN_LABELS.authFailures) expect(m.get(`paycue_auth_failures_total{outcome="${outcome}"}`)).toBe(0);
    for (const how of KNOWN_LABELS.creditsSettled) expect(m.get(`paycue_credits_settled_total{how="${how}"}`)).toBe(0);
    for (const reason of ['streams_cap', 'rate_limit']) expect(m.get(`paycue_pay_requests_refused_total{reason="${reason}"}`)).toBe(0);
    expect(KNOWN_LABELS.botMessages).toContain('reversal');
    expect([...m.keys()].find((k) => k.startsWith('paycue_build_info{'))).toMatch(/version="\d+\.\d+\.\d+.*",nodejs="\d+/);
    expect(m.get('paycue_redis_up')).toBe(1);
    expect(m.get('paycue_no_free_amount_total')).toBe(0);
    expect(m.get('paycue_webhook_failed_deliveries')).toBe(0);
    expect(m.get('paycue_open_credits')).toBe(0);
  });

  it('counts HTTP requests by route and status, 409 no free amount, failed deliveries, open credits and every attempt', async () => {
    const receiver = await startReceiver(() => ({ status: 500 }));
    try {
      const d = await startTestDaemon({ LIMIT: '1', WEBHOOK_URL: receiver.url, WEBHOOK_RETRIES: '0' });
      const a = (await d.call('/create/transaction/', { body: { amount: 100 } })).body.data;
      await d.call('/create/transaction/', { body: { amount: 100 } });
      expect((await d.call('/create/transaction/', { body: { amount: 100 } })).status).toBe(409);
      await d.call(`/transaction/${a.transaction_id}`);
      await d.call('/no/such/path-1');
      await d.call('/no/such/path-2');
      await d.call('/sandbox/credit', { body: { amount: 5 } });
      await d.call('/sandbox/credit', { body: { amount: a.amount } });
      for (let i = 0; i < 100 && (await d.call(`/transaction/${a.transaction_id}`)).body.data.webhook.state !== 'failed'; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const m = await scrape(d.url);
      expect(m.get('paycue_http_requests_total{route="/create/transaction",method="POST",status="200"}')).toBe(2);
      expect(m.get('paycue_http_requests_total{route="/create/transaction",method="POST",status="409"}')).toBe(1);
      expect(m.get('paycue_http_requests_total{route="other",method="GET",status="404"}')).toBe(2);
      expect(m.get('paycue_http_request_duration_seconds_count{route="/create/transaction",method="POST",status="409"}')).toBe(1);
      expect(m.get('paycue_no_free_amount_total')).toBe(1);
      expect(m.get('paycue_webhook_failed_deliveries')).toBe(1);
      expect(m.get('paycue_open_credits')).toBe(1);
      expect(m.get('paycue_webhook_attempt_duration_seconds_count')).toBe(1);
      expect([...m.keys()].some((k) => k.includes(a.transaction_id))).toBe(false);
    } finally {
      await receiver.close();
    }
  });

  it('exports Telegram reconnects, history reads, expiry held and the last bot message time outside sandbox', async () => {
    const receiver = await startReceiver();
    try {
      const clock = { offsetMs: 0 };
      const d = await startTestDaemon(
        { SANDBOX: 'false', APP_ID: '1', APP_HASH: '0123456789abcdef0123456789abcdef', WEBHOOK_URL: receiver.url, TRANSACTION_TTL: '1m' },
        {
          clock,
          sweepIntervalMs: 20,
          // A watcher that never publishes a watermark: nothing can expire.
          startWatcher: async () => ({
            stop: async () => undefined,
            status: () => ({ connected: true, lastBotMessageAt: 1_795_000_000_000, reconnects: 3, historyReads: { humo: 7 }, clockSkewMs: -1500 }),
          }),
        },
      );
      await d.watcherReady;
      let m = await scrape(d.url);
      expect(m.get('paycue_expiry_held')).toBe(0); // nothing is due
      const tx = (await d.call('/create/transaction/', { body: { amount: 100 } })).body.data;
      clock.offsetMs += 2 * 60_000; // its deadline passed a minute ago, and no chat read reached it
      await waitFor('expiry to be reported held', async () => (await scrape(d.url)).get('paycue_expiry_held') === 1);
      m = await scrape(d.url);
      expect((await d.call(`/transaction/${tx.transaction_id}`)).body.data.state).toBe('pending');
      expect(m.get('paycue_expiry_watermark_lag_seconds')).toBeNaN();
      expect(m.get('paycue_telegram_connected')).toBe(1);
      expect(m.get('paycue_telegram_reconnects_total')).toBe(3);
      expect(m.get('paycue_telegram_history_reads_total{bot="humo"}')).toBe(7);
      expect(m.get('paycue_telegram_clock_skew_seconds')).toBe(-1.5);
      expect(m.get('paycue_last_bot_message_timestamp_seconds')).toBe(1_795_000_000);
    } finally {
      await receiver.close();
    }
  });

  it('METRICS_TOKEN protects /metrics with a bearer token', async () => {
    const token = 'metrics-token-0123456789';
    const d = await startTestDaemon({ METRICS_TOKEN: token });
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${token}`]) {
      const res = await fetch(`${d.url}/metrics`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="paycue-metrics"');
    }
    expect((await scrape(d.url, { authorization: `Bearer ${token}` })).get('paycue_redis_up')).toBe(1);
    expect(() => testConfig({ METRICS_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => testConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });
});
