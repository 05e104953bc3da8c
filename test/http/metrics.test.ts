import { afterAll, describe, expect, it } from 'vitest';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

/** Prometheus text format 0.0.4: comments, or `name{label="v",…} value`. Returns name{labels} → value. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)( -?\d+)?$/;
  for (const l of text.split('\n')) {
    if (l === '' || l.startsWith('# HELP ') || l.startsWith('# TYPE ')) continue;
    const m = line.exec(l);
    if (!m) throw new Error(`not Prometheus text: ${JSON.stringify(l)}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return samples;
}

describe('/metrics', () => {
  it('is Prometheus text that counts creates, confirms, credits and pending transactions', async () => {
    const d = await startTestDaemon();
    const a = (await d.call('/create/transaction/', { body: { amount: 100 } })).body.data;
    await d.call('/create/transaction/', { body: { amount: 100 } });
    await d.call('/sandbox/credit', { body: { amount: a.amount, message_id: 5 } });
    await d.call('/sandbox/credit', { body: { amount: a.amount, message_id: 5 } });
    await d.call('/sandbox/credit', { body: { amount: 99 } });
    const res = await fetch(`${d.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = parsePrometheus(await res.text());
    expect(m.get('paycue_transactions_total{event="created"}')).toBe(2);
    expect(m.get('paycue_transactions_total{event="confirmed"}')).toBe(1);
    expect(m.get('paycue_credits_total{result="matched"}')).toBe(1);
    expect(m.get('paycue_credits_total{result="duplicate"}')).toBe(1);
    expect(m.get('paycue_credits_total{result="no_match"}')).toBe(1);
    expect(m.get('paycue_pending_transactions')).toBe(1);
    expect(m.has('process_resident_memory_bytes')).toBe(true);
    // Sandbox: no Telegram, so no Telegram gauges (rather than a misleading 0).
    expect(m.has('paycue_telegram_connected')).toBe(false);
    expect(m.has('paycue_seconds_since_last_bot_message')).toBe(false);
  });
});
