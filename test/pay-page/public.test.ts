// The public pay endpoints: what they expose, what an unknown id costs, the rate limit,
// and each state the page can show.
import { get as httpGet } from 'node:http';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis, keysUnder, openRedis, redisUrl } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const CARD = { number: '9860100000027159', holder: 'ALISHER KARIMOV', label: 'main', links: [{ title: 'Payme', url: 'https://payme.example/pay?sum={amount_tiyin}&s={amount}' }] };
const SECRET_META = { order: 'ORDER-SECRET-4711', customer_phone: '+998901234567' };

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

/** Redis MONITOR on a plain socket (ioredis's monitor mode races its own queue under load). */
async function startMonitor(): Promise<{ lines: string[]; close(): void }> {
  const url = new URL(redisUrl());
  const socket = connect(Number(url.port), url.hostname);
  const lines: string[] = [];
  let buf = '';
  let started = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    const parts = buf.split('\r\n');
    buf = parts.pop() ?? '';
    for (const p of parts) {
      if (p === '+OK' && !started) started = true;
      else if (p.startsWith('+')) lines.push(p);
    }
  });
  socket.write('MONITOR\r\n');
  await waitFor('MONITOR to start', async () => started, { timeoutMs: 5000 });
  return { lines, close: () => socket.destroy() };
}

async function daemonWithCard(env: Record<string, string> = {}): Promise<TestDaemon> {
  const d = await startTestDaemon({ PUBLIC_URL: 'https://pay.example.uz', PAY_RATE_LIMIT: '0', ...env });
  expect((await d.call('/cards', { body: CARD })).status).toBe(201);
  return d;
}

async function create(d: TestDaemon, body: Record<string, unknown> = {}) {
  const r = await d.call('/create/transaction/', { body: { amount: 20000, ...body } });
  expect(r.status).toBe(200);
  return r.body.data as { transaction_id: string; amount: number; amount_tiyin: number; pay_url?: string };
}

/** The first SSE event of a stream, then the stream is dropped. */
async function firstEvent(url: string): Promise<string> {
  const ctl = new AbortController();
  const res = await fetch(url, { signal: ctl.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
  ctl.abort();
  return text;
}

describe('pay_url and the new create fields', () => {
  it('carries pay_url with PUBLIC_URL, in create and GET /transaction/:id', async () => {
    const d = await daemonWithCard();
    const tx = await create(d);
    expect(tx.pay_url).toBe(`https://pay.example.uz/pay/${tx.transaction_id}`);
    expect((await d.call(`/transaction/${tx.transaction_id}`)).body.data.pay_url).toBe(tx.pay_url);
  });

  it('leaves the v1 response unchanged without PUBLIC_URL and the new fields', async () => {
    const d = await startTestDaemon();
    const r = await d.call('/create/transaction/', { body: { amount: 100 } });
    // v1's fields, plus `state` (added for Idempotency-Key replays), and no pay page fields.
    expect(Object.keys(r.body.data).sort()).toEqual(['amount', 'amount_tiyin', 'card', 'expires_at', 'state', 'transaction_id']);
  });

  it('validates success_url, cancel_url and lang, and writes nothing when they are bad', async () => {
    const d = await daemonWithCard();
    const redis = await openRedis();
    const before = await keysUnder(redis, d.config.redisPrefix);
    for (const [body, reason] of [
      [{ success_url: 'javascript:alert(1)' }, /success_url: must be an http/],
      [{ cancel_url: 'ftp://shop.example/' }, /cancel_url: must be an http/],
      [{ success_url: 'not a url' }, /success_url/],
      [{ lang: 'de' }, /lang: must be uz, ru or en/],
    ] as const) {
      const r = await d.call('/create/transaction/', { body: { amount: 100, ...body } });
      expect(r.status).toBe(400);
      expect(r.body.data.detail).toMatch(reason);
    }
    expect(await keysUnder(redis, d.config.redisPrefix)).toEqual(before);
  });
});

describe('public endpoints expose only what the page shows', () => {
  it('no metadata, no webhook data in the page, the status JSON or the stream', async () => {
    const d = await daemonWithCard();
    const tx = await create(d, { metadata: SECRET_META, success_url: 'https://shop.example/ok', cancel_url: 'https://shop.example/cart' });
    const status = await d.call(`/pay/${tx.transaction_id}/status`, { auth: false });
    expect(status.status).toBe(200);
    expect(Object.keys(status.body.data).sort()).toEqual(
      ['amount', 'amount_tiyin', 'cancel_url', 'card', 'created_at', 'expires_at', 'now', 'paid_at', 'state', 'success_url', 'transaction_id'],
    );
    expect(status.body.data).toMatchObject({
      state: 'pending', amount: tx.amount, amount_tiyin: tx.amount_tiyin, success_url: 'https://shop.example/ok', cancel_url: 'https://shop.example/cart',
      card: { last4: '7159', number_display: '9860 1000 0002 7159', holder: 'ALISHER KARIMOV', label: 'main',
        links: [{ title: 'Payme', url: `https://payme.example/pay?sum=${tx.amount_tiyin}&s=${tx.amount}` }] },
    });
    const page = await (await fetch(`${d.url}/pay/${tx.transaction_id}`)).text();
    const stream = await firstEvent(`${d.url}/pay/${tx.transaction_id}/events`);
    for (const body of [JSON.stringify(status.body), page, stream]) {
      expect(body).not.toContain('ORDER-SECRET-4711');
      expect(body).not.toContain('+998901234567');
      expect(body).not.toMatch(/webhook|attempt|metadata/i);
    }
    expect(stream).toMatch(/\nevent: status\ndata: \{.*"state":"pending"/);
  });

  it('the page is self-contained: strict CSP, no external resources, under 30 KB', async () => {
    const d = await daemonWithCard();
    const tx = await create(d);
    const res = await fetch(`${d.url}/pay/${tx.transaction_id}`);
    const html = await res.text();
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[^']+'(;|$)/);
    expect(csp).not.toContain('unsafe-inline');
    expect(Buffer.byteLength(html)).toBeLessThan(30 * 1024);
    expect(html).not.toMatch(/<(script|img|link|iframe)[^>]+(src|href)="(https?:)?\/\//i);
    expect(html).not.toContain('window.open');
    expect(html).not.toContain('target=');
    expect(html).toContain('<svg'); // the QR code of the first link, drawn server-side
    expect(html).toContain('href="https://payme.example/pay?sum=');
  });

  it('with the largest card the registry allows, the page is under 30 KB on the wire (gzip), the event stream not compressed', async () => {
    const d = await startTestDaemon({ PUBLIC_URL: 'https://pay.example.uz', PAY_RATE_LIMIT: '0' });
    const longUrl = (i: number) => `https://app${i}.example/pay?sum={amount}&order=${'x'.repeat(440)}`.slice(0, 500);
    const big = {
      number: '9860100000027159', holder: 'А'.repeat(60), label: 'Ж'.repeat(40),
      links: Array.from({ length: 5 }, (_, i) => ({ title: 'Оплатить через приложение банка'.padEnd(40, 'я').slice(0, 40), url: longUrl(i) })),
    };
    expect((await d.call('/cards', { body: big })).status).toBe(201);
    const tx = await create(d);
    const wire = (path: string, encoding: string) =>
      new Promise<{ bytes: number; encoding: string | undefined; type: string | undefined }>((resolve, reject) => {
        const req = httpGet(`${d.url}${path}`, { headers: { 'accept-encoding': encoding, 'accept-language': 'ru' } }, (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (res.headers['content-type']?.startsWith('text/event-stream')) req.destroy(); // the first chunk says enough
          });
          const done = () => resolve({ bytes, encoding: res.headers['content-encoding'], type: res.headers['content-type'] });
          res.on('end', done);
          res.on('close', done);
        });
        req.on('error', reject);
      });
    const raw = await wire(`/pay/${tx.transaction_id}`, 'identity');
    const gz = await wire(`/pay/${tx.transaction_id}`, 'gzip, deflate, br');
    expect(raw.bytes).toBeGreaterThan(30 * 1024); // what the compression is for
    expect(gz.encoding).toBe('gzip');
    expect(gz.bytes).toBeLessThan(30 * 1024);
    const events = await wire(`/pay/${tx.transaction_id}/events`, 'gzip');
    expect(events.type).toMatch(/^text\/event-stream/);
    expect(events.encoding).toBeUndefined();
  });

  it('under a PUBLIC_URL with a path, the page links carry that path', async () => {
    const d = await daemonWithCard({ PUBLIC_URL: 'https://shop.example/pay-api/' });
    const tx = await create(d);
    expect(tx.pay_url).toBe(`https://shop.example/pay-api/pay/${tx.transaction_id}`);
    const html = await (await fetch(`${d.url}/pay/${tx.transaction_id}`)).text();
    expect(html).toContain(`"status_url":"/pay-api/pay/${tx.transaction_id}/status"`);
    expect(html).toContain(`href="/pay-api/pay/${tx.transaction_id}?lang=ru"`);
    expect(html).toContain(`action="/pay-api/pay/${tx.transaction_id}/simulate"`);
  });

  it('an unknown id is a friendly 404 that reads Redis once; a malformed one never touches it', async () => {
    const d = await daemonWithCard();
    const monitor = await startMonitor();
    const unknown = randomUUID();
    const malformed = 'abcdef12-3456-7890-zzzz-not-a-uuid';
    const page = await fetch(`${d.url}/pay/${unknown}?lang=ru`);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<html lang="ru">');
    expect(html).toContain('Платёж не найден');
    expect((await d.call(`/pay/${unknown}/status`, { auth: false })).status).toBe(404);
    expect((await d.call(`/pay/${unknown}/events`, { auth: false })).status).toBe(404);
    const bad = await fetch(`${d.url}/pay/${malformed}`, { headers: { 'accept-language': 'en' } });
    expect(bad.status).toBe(404);
    expect(await bad.text()).toContain('Payment not found');
    expect((await d.call(`/pay/${malformed}/status`, { auth: false })).status).toBe(404);
    expect((await d.call(`/pay/${malformed}/events`, { auth: false })).status).toBe(404);
    // A marker command proves the monitor saw everything sent before it.
    const marker = `marker-${randomUUID()}`;
    await (await openRedis()).echo(marker);
    await waitFor('the monitor to catch up', async () => monitor.lines.some((l) => l.includes(marker)), { timeoutMs: 5000 });
    monitor.close();
    // Client commands only: what a script runs inside shows as "[0 lua]".
    const touching = (id: string) => monitor.lines.filter((l) => l.includes(id) && !l.includes(' lua]'));
    expect(touching(unknown)).toHaveLength(3); // page, status, events: one call each
    expect(touching(malformed.slice(0, 8))).toHaveLength(0);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After beyond the per-IP budget', async () => {
    const d = await daemonWithCard({ PAY_RATE_LIMIT: '3' });
    const tx = await create(d);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${d.url}/pay/${tx.transaction_id}/status`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await fetch(`${d.url}/pay/${tx.transaction_id}`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Without TRUST_PROXY a forged X-Forwarded-For changes nothing.
    expect((await fetch(`${d.url}/pay/${tx.transaction_id}/status`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(429);
    // The merchant API is not limited.
    expect((await d.call(`/transaction/${tx.transaction_id}`)).status).toBe(200);
    expect((await d.call('/metrics')).body).toContain('paycue_pay_requests_refused_total{reason="rate_limit"} 3');
  });

  it('behind a trusted proxy, counts each X-Forwarded-For client separately', async () => {
    const d = await daemonWithCard({ PAY_RATE_LIMIT: '2', TRUST_PROXY: 'true' });
    const tx = await create(d);
    const get = (ip: string) => fetch(`${d.url}/pay/${tx.transaction_id}/status`, { headers: { 'x-forwarded-for': `198.51.100.1, ${ip}` } }).then((r) => r.status);
    expect([await get('203.0.113.1'), await get('203.0.113.1'), await get('203.0.113.1')]).toEqual([200, 200, 429]);
    expect(await get('203.0.113.2')).toBe(200);
  });

  it('counts an IPv6 client per /64, an IPv4 one per address (issue 18 part 5)', async () => {
    const d = await daemonWithCard({ PAY_RATE_LIMIT: '2', TRUST_PROXY: 'true' });
    const tx = await create(d);
    const get = (ip: string) => fetch(`${d.url}/pay/${tx.transaction_id}/status`, { headers: { 'x-forwarded-for': ip } }).then((r) => r.status);
    expect([await get('2001:db8:5:6::1'), await get('2001:db8:5:6::2'), await get('2001:db8:5:6:ffff::3')]).toEqual([200, 200, 429]);
    expect(await get('2001:db8:5:7::1')).toBe(200);
    expect([await get('::ffff:203.0.113.3'), await get('203.0.113.3'), await get('203.0.113.3')]).toEqual([200, 200, 429]);
    expect(await get('203.0.113.4')).toBe(200);
  });
});

describe('what the customer sees after the deadline', () => {
  it('expired, then a late credit: "payment received after the deadline" with the transaction id', async () => {
    const d = await daemonWithCard({ TRANSACTION_TTL: '1s', AMOUNT_QUARANTINE: '10m' });
    const tx = await create(d, { lang: 'en', cancel_url: 'https://shop.example/cart' });
    const state = async () => (await d.call(`/pay/${tx.transaction_id}/status`, { auth: false })).body.data.state as string;
    await waitFor('expiry', async () => (await state()) === 'expired', { timeoutMs: 10_000 });
    const expired = await (await fetch(`${d.url}/pay/${tx.transaction_id}`)).text();
    expect(expired).toMatch(/<section class="box state expired" id="s-expired">/);
    expect(expired).toContain('href="https://shop.example/cart"');

    const credit = await d.call('/sandbox/credit', { body: { amount: tx.amount, card: '7159' } });
    expect(credit.body.data).toMatchObject({ matched: false, reason: 'late' });
    expect(await state()).toBe('late');
    const late = await (await fetch(`${d.url}/pay/${tx.transaction_id}`)).text();
    expect(late).toMatch(/<section class="box state late" id="s-late">/);
    expect(late).toContain('Payment received after the deadline');
    expect(late).toContain(`<code class="txid">${tx.transaction_id}</code>`);
  });

  it('cancelled by the merchant shows the cancelled screen', async () => {
    const d = await daemonWithCard();
    const tx = await create(d);
    await d.call(`/transaction/${tx.transaction_id}/cancel`, { method: 'POST' });
    expect((await d.call(`/pay/${tx.transaction_id}/status`, { auth: false })).body.data.state).toBe('cancelled');
  });

  it('a card known only by CARDS shows **** last-4 and says the number is missing', async () => {
    const d = await startTestDaemon({ CARDS: '0042', PAY_RATE_LIMIT: '0' });
    const tx = await create(d);
    const html = await (await fetch(`${d.url}/pay/${tx.transaction_id}?lang=en`)).text();
    expect(html).toContain('<p class="pan" id="pan">**** 0042</p>');
    expect(html).toContain('The full card number is not set up');
  });

  it('without SANDBOX there is no ribbon and no simulate path', async () => {
    const d = await startTestDaemon({ SANDBOX: 'false', APP_ID: '1', APP_HASH: '0123456789abcdef0123456789abcdef', WEBHOOK_URL: 'http://127.0.0.1:9/hook', PAY_RATE_LIMIT: '0' });
    const tx = await create(d);
    const html = await (await fetch(`${d.url}/pay/${tx.transaction_id}`)).text();
    expect(html).not.toContain('class="ribbon"');
    expect(html).not.toContain('/simulate');
    expect((await fetch(`${d.url}/pay/${tx.transaction_id}/simulate`, { method: 'POST' })).status).toBe(404);
  });
});
