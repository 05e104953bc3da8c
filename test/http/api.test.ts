import { afterAll, describe, expect, it } from 'vitest';
import { AUTH, startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis, keysUnder } from '../helpers/redis.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

describe('POST /create/transaction/', () => {
  it('reserves unique amounts and reports them in the contract shape', async () => {
    const d = await startTestDaemon({ TRANSACTION_TTL: '30m' });
    const a = await d.call('/create/transaction/', { body: { amount: 20000 } });
    const b = await d.call('/create/transaction', { body: { amount: 20000, metadata: { order: 7 } } });
    expect(a.status).toBe(200);
    expect(a.body.status).toBe(true);
    expect(a.body.data).toMatchObject({ amount: 20000, amount_tiyin: 2000000, card: null });
    expect(b.body.data).toMatchObject({ amount: 20001, amount_tiyin: 2000100 });
    expect(a.body.data.transaction_id).toMatch(/^[0-9a-f-]{36}$/);
    const ttl = Date.parse(a.body.data.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(29 * 60_000);
    expect(ttl).toBeLessThanOrEqual(30 * 60_000);

    const got = await d.call(`/transaction/${b.body.data.transaction_id}`);
    expect(got.status).toBe(200);
    expect(got.body.data).toMatchObject({
      transaction_id: b.body.data.transaction_id,
      amount: 20001,
      requested_amount: 20000,
      state: 'pending',
      metadata: { order: 7 },
      webhook: { state: 'pending', attempts: 0 },
    });
  });

  it('formats tiyin-mode amounts with two decimals at most', async () => {
    const d = await startTestDaemon({ AMOUNT_STEP: 'tiyin' });
    await d.call('/create/transaction/', { body: { amount: 20000 } });
    const b = await d.call('/create/transaction/', { body: { amount: 20000 } });
    expect(b.body.data).toMatchObject({ amount: 20000.01, amount_tiyin: 2000001 });
  });

  it('answers 409 when no amount is free within LIMIT', async () => {
    const d = await startTestDaemon({ LIMIT: '2' });
    for (let i = 0; i < 3; i++) expect((await d.call('/create/transaction/', { body: { amount: 10 } })).status).toBe(200);
    const full = await d.call('/create/transaction/', { body: { amount: 10 } });
    expect(full.status).toBe(409);
    expect(full.body).toEqual({ status: false, data: { detail: expect.stringContaining('no free amount') } });
  });

  it('uses the configured cards and rejects unknown ones', async () => {
    const d = await startTestDaemon({ CARDS: '7159,0042' });
    const a = await d.call('/create/transaction/', { body: { amount: 500 } });
    const b = await d.call('/create/transaction/', { body: { amount: 500 } });
    expect([a.body.data.card, b.body.data.card]).toEqual(['7159', '0042']);
    const fixed = await d.call('/create/transaction/', { body: { amount: 500, card: '0042' } });
    expect(fixed.body.data).toMatchObject({ card: '0042', amount: 501 });
    const bad = await d.call('/create/transaction/', { body: { amount: 500, card: '1111' } });
    expect(bad.status).toBe(400);
    expect(bad.body.data.detail).toMatch(/unknown card/);
  });

  it('returns the same transaction for a repeated Idempotency-Key', async () => {
    const d = await startTestDaemon();
    const h = { 'idempotency-key': 'order-42' };
    const a = await d.call('/create/transaction/', { body: { amount: 300 }, headers: h });
    const b = await d.call('/create/transaction/', { body: { amount: 300 }, headers: h });
    expect(b.body.data.transaction_id).toBe(a.body.data.transaction_id);
    const other = await d.call('/create/transaction/', { body: { amount: 301 }, headers: h });
    expect(other.status).toBe(409);
  });
});

describe('bad input changes nothing', () => {
  const cases: [string, { body?: unknown; raw?: string; type?: string; auth?: string | false }, number, RegExp][] = [
    ['malformed JSON', { raw: '{"amount": 10', type: 'application/json' }, 400, /malformed JSON/],
    ['missing amount', { body: {} }, 400, /amount: is required/],
    ['zero', { body: { amount: 0 } }, 400, /positive/],
    ['negative', { body: { amount: -5 } }, 400, /positive/],
    ['fractional', { body: { amount: 10.5 } }, 400, /whole number/],
    ['string', { body: { amount: '10' } }, 400, /not string/],
    ['huge', { body: { amount: 1e13 } }, 400, /at most/],
    ['array body', { body: [1] }, 400, /JSON object/],
    ['metadata not an object', { body: { amount: 5, metadata: 'x' } }, 400, /metadata: must be a JSON object/],
    ['oversized metadata', { body: { amount: 5, metadata: { blob: 'x'.repeat(3000) } } }, 400, /metadata: must be at most 2048 bytes/],
    // Issue #15 items 5 and 8: a deep nest used to overflow the stack (500); JSON.parse kept the last duplicate.
    ['metadata nested 5,000 levels', { raw: `{"amount":5,"metadata":{"x":${'['.repeat(5000)}${']'.repeat(5000)}}}`, type: 'application/json' }, 400, /nested deeper than 32 levels/],
    ['metadata nested 33 levels', { raw: `{"amount":5,"metadata":{"x":${'['.repeat(31)}${']'.repeat(31)}}}`, type: 'application/json' }, 400, /nested deeper than 32 levels/],
    ['duplicate key', { raw: '{"amount":-1,"amount":1000}', type: 'application/json' }, 400, /duplicate key "amount"/],
    ['duplicate key spelled with an escape', { raw: '{"amount":1000,"metadata":{"a":1,"\\u0061":2}}', type: 'application/json' }, 400, /duplicate key "a"/],
    ['not JSON content type', { raw: 'amount=10', type: 'application/x-www-form-urlencoded' }, 415, /application\/json/],
    ['body over 16 KB', { raw: JSON.stringify({ amount: 5, pad: 'x'.repeat(17_000) }), type: 'application/json' }, 413, /larger than 16 KB/],
    ['no auth', { body: { amount: 5 }, auth: false }, 401, /authentication required/],
    ['wrong auth', { body: { amount: 5 }, auth: 'Basic ' + Buffer.from('merchant:nope').toString('base64') }, 401, /wrong username or password/],
    ['not basic auth', { body: { amount: 5 }, auth: 'Bearer abc' }, 401, /Basic/],
  ];

  it.each(cases)('%s', async (_name, input, status, detail) => {
    const d = await startTestDaemon();
    const before = await keysUnder(d.ctx.redis, d.config.redisPrefix);
    const headers: Record<string, string> = {};
    if (input.auth !== undefined && input.auth !== false) headers.authorization = input.auth;
    const init = {
      method: 'POST',
      ...(input.auth === false ? { auth: false } : {}),
      headers: { ...headers, ...(input.type ? { 'content-type': input.type } : {}) },
      ...(input.raw !== undefined ? { body: input.raw } : { body: input.body }),
    };
    if (input.raw !== undefined) {
      // raw bodies keep their own content type
      const res = await fetch(`${d.url}/create/transaction/`, {
        method: 'POST',
        headers: { authorization: AUTH, 'content-type': input.type ?? 'text/plain' },
        body: input.raw,
      });
      expect(res.status).toBe(status);
      const json = (await res.json()) as { status: boolean; data: { detail: string } };
      expect(json.status).toBe(false);
      expect(json.data.detail).toMatch(detail);
    } else {
      const res = await d.call('/create/transaction/', init);
      expect(res.status).toBe(status);
      expect(res.body.status).toBe(false);
      expect(res.body.data.detail).toMatch(detail);
      if (status === 401) expect(res.headers.get('www-authenticate')).toBe('Basic realm="paycue"');
    }
    expect(await keysUnder(d.ctx.redis, d.config.redisPrefix)).toEqual(before);
    expect(await d.ctx.redis.xlen(d.ctx.keys.events)).toBe(0);
  });
});

describe('other endpoints', () => {
  it('cancels a pending transaction once, then answers 409', async () => {
    const d = await startTestDaemon();
    const a = await d.call('/create/transaction/', { body: { amount: 1000 } });
    const id = a.body.data.transaction_id;
    const c1 = await d.call(`/transaction/${id}/cancel`, { method: 'POST' });
    expect(c1.status).toBe(200);
    expect(c1.body.data).toMatchObject({ state: 'cancelled', cancel_reason: 'cancelled' });
    const c2 = await d.call(`/transaction/${id}/cancel/`, { method: 'POST' });
    expect(c2.status).toBe(409);
    // Who cancelled it is in its audit trail (once: the refused repeat writes nothing).
    expect((await d.call(`/transaction/${id}`)).body.data.audit).toEqual([
      expect.objectContaining({ action: 'cancel', by: 'api:merchant', reason: 'cancelled through the API', transaction_id: id }),
    ]);
    // The cancelled amount is quarantined: the next create gets the next amount.
    const b = await d.call('/create/transaction/', { body: { amount: 1000 } });
    expect(b.body.data.amount).toBe(1001);
  });

  it('404s unknown transactions, and needs auth to read them', async () => {
    const d = await startTestDaemon();
    expect((await d.call('/transaction/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await d.call('/transaction/not-a-uuid')).status).toBe(404);
    expect((await d.call('/transaction/00000000-0000-4000-8000-000000000000', { auth: false })).status).toBe(401);
  });

  it('serves health, ready and metrics', async () => {
    const d = await startTestDaemon();
    expect((await d.call('/health/', { auth: false })).body).toEqual({ ok: true });
    expect((await d.call('/health', { method: 'POST', auth: false })).body).toEqual({ ok: true });
    const ready = await d.call('/ready', { auth: false });
    expect(ready.status).toBe(200);
    expect(ready.body.data).toEqual({ redis: 'up', telegram: 'disabled' });
  });

  it('hides the sandbox when SANDBOX is off', async () => {
    const d = await startTestDaemon({ SANDBOX: 'false', APP_ID: '12345', APP_HASH: '0123456789abcdef0123456789abcdef', WEBHOOK_URL: 'http://127.0.0.1:9/hook' });
    const r = await d.call('/sandbox/credit', { body: { amount: 5 } });
    expect(r.status).toBe(404);
  });
});

describe('body limit', () => {
  it('rejects a chunked body over 16 KB too (no Content-Length to trust)', async () => {
    const d = await startTestDaemon();
    const big = JSON.stringify({ amount: 5, pad: 'x'.repeat(17_000) });
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const res = await fetch(`${d.url}/create/transaction/`, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await d.ctx.redis.zcard(d.ctx.keys.deadlines)).toBe(0);
  });
});

describe('HTTP details', () => {
  it('answers 405 with Allow for a known path and the wrong method', async () => {
    const d = await startTestDaemon();
    const r = await d.call('/create/transaction/', { method: 'GET' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
    expect(r.body.data.detail).toMatch(/use POST/);
    expect((await d.call('/metrics', { method: 'DELETE' })).status).toBe(405);
  });

  it('finds a transaction by an upper-case id, and accepts extra spaces after "Basic"', async () => {
    const d = await startTestDaemon();
    const tx = (await d.call('/create/transaction/', { body: { amount: 10 } })).body.data;
    const r = await d.call(`/transaction/${tx.transaction_id.toUpperCase()}`, { headers: { authorization: AUTH.replace('Basic ', 'Basic   ') } });
    expect(r.status).toBe(200);
    expect(r.body.data.transaction_id).toBe(tx.transaction_id);
  });

  it('wants the card as a string of four digits', async () => {
    const d = await startTestDaemon({ CARDS: '0042' });
    expect((await d.call('/create/transaction/', { body: { amount: 10, card: 42 } })).status).toBe(400);
    expect((await d.call('/create/transaction/', { body: { amount: 10, card: '0042' } })).status).toBe(200);
  });
});
