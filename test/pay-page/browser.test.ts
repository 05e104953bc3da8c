/// <reference lib="dom" />
// The pay page in real headless Chromium: the whole customer journey, languages, copy
// buttons, a phone-sized viewport, an accessibility scan, and the README screenshot.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { axeScan, launchBrowser, visible } from './browser.js';
import { formatAmount, type Lang } from '../../src/pay-page/i18n/index.js';

const CARD = { number: '9860100000027159', holder: 'ALISHER KARIMOV', label: 'main', links: [{ title: 'Click', url: 'https://my.click.uz/pay?amount={amount}' }] };
const OUT = resolve(import.meta.dirname, '../../test-output');
const DOCS = resolve(import.meta.dirname, '../../docs');

/** Writes a screenshot under test-output/ and checks it is a real PNG; with
 * UPDATE_SCREENSHOTS=1 it also becomes the README's copy in docs/. */
async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, name);
  await page.screenshot({ path: file, fullPage: true });
  const png = readFileSync(file);
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  expect(png.length).toBeGreaterThan(5_000);
  if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(file, join(DOCS, name));
}

let browser: Browser;
let d: TestDaemon;
let shop: Receiver;

beforeAll(async () => {
  browser = await launchBrowser();
  shop = await startReceiver();
  d = await startTestDaemon({ PUBLIC_URL: 'https://pay.example.uz', PAY_RATE_LIMIT: '0' });
  expect((await d.call('/cards', { body: CARD })).status).toBe(201);
});

afterAll(async () => {
  await browser?.close();
  await shop?.close();
  await stopTestDaemons();
  await closeAllRedis();
});

async function create(daemon: TestDaemon, body: Record<string, unknown> = {}): Promise<{ id: string; url: string; amount: number }> {
  const r = await daemon.call('/create/transaction/', { body: { amount: 20000, ...body } });
  expect(r.status).toBe(200);
  const path = new URL(r.body.data.pay_url as string).pathname; // PUBLIC_URL is the proxy's; the test talks to the daemon
  return { id: r.body.data.transaction_id, url: daemon.url + path, amount: r.body.data.amount };
}

async function open(url: string, opts: { width?: number; height?: number; headers?: Record<string, string>; bypassCsp?: boolean } = {}): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: opts.width ?? 360, height: opts.height ?? 740, deviceScaleFactor: 1 });
  if (opts.headers) await page.setExtraHTTPHeaders(opts.headers);
  if (opts.bypassCsp) await page.setBypassCSP(true);
  const res = await page.goto(url, { waitUntil: 'load' });
  expect(res?.status()).toBe(200);
  return page;
}

/** The amount as the page writes it, with plain spaces (textContent normalised). */
const shown = (som: number, lang: Lang) => formatAmount(som * 100, lang).replace(/\u00a0/g, ' ');
const text = (page: Page, sel: string) => page.$eval(sel, (el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());

describe('pay page in Chromium', () => {
  it('create → open pay_url → sandbox credit → paid without reload within 2 s → redirect to success_url', async () => {
    const success = shop.url.replace('/hook', '/thanks');
    const tx = await create(d, { success_url: success, lang: 'uz' });
    const page = await open(tx.url);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

    expect(await text(page, '#amount')).toBe(shown(tx.amount, 'uz'));
    expect(await text(page, '#pan')).toBe('9860 1000 0002 7159');
    expect(await text(page, '#holder')).toBe('ALISHER KARIMOV');
    expect(await text(page, '#card-label')).toBe('main');
    expect(await text(page, '#clock')).toMatch(/^(29:[0-5]\d|30:00)$/);
    expect(await visible(page, '#s-pending')).toBe(true);
    expect(await visible(page, '#s-paid')).toBe(false);
    // Give the page its live stream before paying: the paid screen must come from it, not a reload.
    await page.waitForSelector('body[data-live="sse"]', { timeout: 5000 });

    const navigations: string[] = [];
    page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()));
    const credit = await d.call('/sandbox/credit', { body: { amount: tx.amount, card: '7159' } });
    expect(credit.body.data).toMatchObject({ matched: true, transaction_id: tx.id });
    await page.waitForSelector('#s-paid:not([hidden])', { timeout: 2000 });
    expect(navigations).toEqual([]); // no reload
    expect(await text(page, '#s-paid h2')).toBe("To'lov qabul qilindi");
    expect(await text(page, '#live')).toBe("To'lov qabul qilindi");
    await screenshot(page, 'pay-page-paid.png');

    const nav = await page.waitForNavigation({ timeout: 15_000 });
    expect(nav?.url()).toBe(`${success}?transaction_id=${tx.id}`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the simulate button (sandbox) pays, and the customer can skip the redirect countdown', async () => {
    const success = shop.url.replace('/hook', '/done?order=7');
    const tx = await create(d, { success_url: success });
    const page = await open(tx.url);
    expect(await text(page, '.ribbon')).toContain('TEST');
    await page.click('#simulate button');
    await page.waitForSelector('#s-paid:not([hidden])', { timeout: 10_000 });
    const [nav] = await Promise.all([page.waitForNavigation({ timeout: 10_000 }), page.click('#go')]);
    expect(nav?.url()).toBe(`${success}&transaction_id=${tx.id}`);
    await page.close();
  });

  it('works without JavaScript: the static parts show, the simulate form posts and comes back paid', async () => {
    const tx = await create(d);
    const page = await browser.newPage();
    await page.setJavaScriptEnabled(false);
    await page.setViewport({ width: 360, height: 740 });
    await page.goto(`${tx.url}?lang=en`, { waitUntil: 'load' });
    expect(await text(page, '#amount')).toBe(shown(tx.amount, 'en'));
    expect(await text(page, '#pan')).toBe('9860 1000 0002 7159');
    expect(await text(page, '#clock')).toMatch(/^(29:[0-5]\d|30:00)$/);
    expect(await text(page, '#live-note')).toBe('Reload the page to see the payment status.');
    expect(await visible(page, 'button.copy')).toBe(false); // copying needs the script
    await Promise.all([page.waitForNavigation(), page.click('#simulate button')]);
    expect(page.url()).toBe(tx.url);
    expect(await visible(page, '#s-paid')).toBe(true);
    await page.close();
  });

  it('falls back to polling the status when the stream cap is reached', async () => {
    const capped = await startTestDaemon({ PAY_STREAMS_MAX: '0', PAY_RATE_LIMIT: '0', PUBLIC_URL: 'https://pay.example.uz' });
    expect((await capped.call('/cards', { body: CARD })).status).toBe(201);
    const tx = await create(capped);
    const page = await open(tx.url);
    await page.waitForSelector('body[data-live="poll"]', { timeout: 5000 });
    await capped.call('/sandbox/credit', { body: { amount: tx.amount, card: '7159' } });
    await page.waitForSelector('#s-paid:not([hidden])', { timeout: 12_000 }); // polled every 5 s
    await page.close();
  });

  it('an expiry (short TTL) turns the page into the expired screen with a link back to the shop', async () => {
    const short = await startTestDaemon({ TRANSACTION_TTL: '3s', PAY_RATE_LIMIT: '0', PUBLIC_URL: 'https://pay.example.uz', CARDS: '7159' });
    const back = shop.url.replace('/hook', '/cart');
    const tx = await create(short, { cancel_url: back, lang: 'en' });
    const page = await open(tx.url);
    expect(await text(page, '#clock')).toMatch(/^00:0[0-3]$/);
    await page.waitForSelector('#s-expired:not([hidden])', { timeout: 15_000 });
    expect(await visible(page, '#s-pending')).toBe(false);
    expect(await text(page, '#s-expired h2')).toBe('Time is up');
    expect(await page.$eval('#s-expired a', (a) => (a as HTMLAnchorElement).href)).toBe(back);
    expect(await page.$eval('#s-expired a', (a) => a.getAttribute('target'))).toBeNull();
    await screenshot(page, 'pay-page-expired.png');

    // The money arrives after all: the expired page notices by itself (it keeps checking).
    const late = await short.call('/sandbox/credit', { body: { amount: tx.amount, card: '7159' } });
    expect(late.body.data).toMatchObject({ matched: false, reason: 'late' });
    await page.waitForSelector('#s-late:not([hidden])', { timeout: 15_000 });
    expect(await text(page, '#s-late h2')).toBe('Payment received after the deadline');
    expect(await text(page, '#s-late code')).toBe(tx.id);
    await page.close();
  });

  it('reopening a paid page goes straight on to success_url', async () => {
    const success = shop.url.replace('/hook', '/again');
    const tx = await create(d, { success_url: success });
    await d.call('/sandbox/credit', { body: { amount: tx.amount, card: '7159' } });
    const page = await browser.newPage();
    await page.goto(tx.url, { waitUntil: 'load' });
    expect(await visible(page, '#s-paid')).toBe(true);
    if (!page.url().startsWith(success)) await page.waitForNavigation({ timeout: 15_000 });
    expect(page.url()).toBe(`${success}?transaction_id=${tx.id}`);
    await page.close();
  });

  it('copy buttons put the digits on the clipboard', async () => {
    const tx = await create(d);
    const context = browser.defaultBrowserContext();
    await context.overridePermissions(d.url, ['clipboard-read', 'clipboard-write', 'clipboard-sanitized-write']);
    const page = await open(`${tx.url}?lang=en`);
    const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
    await page.click('#s-pending .box:first-of-type button.copy');
    await page.waitForFunction(() => document.querySelector('#s-pending button.copy')?.textContent === 'Copied', { timeout: 5000 });
    expect(await clipboard()).toBe(String(tx.amount));
    await page.click('section[aria-labelledby="card-h"] button.copy');
    await page.waitForFunction(() => document.querySelector('section[aria-labelledby="card-h"] button.copy')?.textContent === 'Copied', { timeout: 5000 });
    expect(await clipboard()).toBe('9860100000027159');
    await page.close();
  });

  it('?lang=ru and Accept-Language: en render those languages', async () => {
    const tx = await create(d);
    const ru = await open(`${tx.url}?lang=ru`);
    expect(await ru.$eval('html', (h) => h.lang)).toBe('ru');
    expect(await text(ru, '#amount-h')).toBe('Сумма к оплате');
    expect(await text(ru, '#amount')).toBe(shown(tx.amount, 'ru'));
    expect(await ru.$eval('.langs a[aria-current]', (a) => a.textContent)).toBe('RU');
    await ru.close();

    const en = await open(tx.url, { headers: { 'Accept-Language': 'en-US,en;q=0.9' } });
    expect(await en.$eval('html', (h) => h.lang)).toBe('en');
    expect(await text(en, '#amount-h')).toBe('Amount to pay');
    expect(await text(en, '#amount')).toBe(shown(tx.amount, 'en'));
    await en.close();
  });

  it('fits a 360×740 phone screen without horizontal scroll, passes axe-core, and is screenshotted', async () => {
    const tx = await create(d, { success_url: 'https://shop.example/thanks' });
    const page = await open(tx.url, { width: 360, height: 740, bypassCsp: true });
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    expect(widths.client).toBe(360);

    await screenshot(page, 'pay-page.png');
    // The QR code of the first payment-app link is for wide screens only (a phone cannot scan itself).
    expect(await visible(page, '.qr svg')).toBe(false);
    await page.setViewport({ width: 1024, height: 900 });
    expect(await visible(page, '.qr svg')).toBe(true);
    await screenshot(page, 'pay-page-wide.png');
    await page.setViewport({ width: 360, height: 740 });

    const serious = (await axeScan(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious).toEqual([]);

    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    await screenshot(page, 'pay-page-dark.png');
    const seriousDark = (await axeScan(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(seriousDark).toEqual([]);
    await page.close();
  });
});
