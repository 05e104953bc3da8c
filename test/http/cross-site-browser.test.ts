/// <reference lib="dom" />
// Issue 18 part 5 the way an attacker does it: real Chromium holding the merchant's Basic
// credentials opens a page on another site (localhost vs 127.0.0.1) that tries to cancel an
// order with a plain HTML form (before issue 18 each of these cancelled it).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'puppeteer-core';
import { PASS, USER, startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';
import { launchBrowser } from '../pay-page/browser.js';

let browser: Browser;
let d: TestDaemon;
let evil: Server;
let evilUrl: string;
/** The attacker's page for each attempt, by path. */
const pages = new Map<string, string>();

beforeAll(async () => {
  browser = await launchBrowser();
  d = await startTestDaemon();
  evil = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(pages.get(req.url ?? '') ?? 'no such page');
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  // Another site: the same machine under another host name.
  evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => evil?.close(r));
  await stopTestDaemons();
  await closeAllRedis();
});

async function pendingOrder(): Promise<string> {
  const r = await d.call('/create/transaction/', { body: { amount: 20000 } });
  expect(r.status).toBe(200);
  return r.body.data.transaction_id as string;
}

const stateOf = async (id: string) => (await d.call(`/transaction/${id}`)).body.data.state as string;

/** Opens the attacker's page in a browser that answers paycue's 401 with the merchant's login. */
async function visit(html: string) {
  const path = `/${pages.size}`;
  pages.set(path, html);
  const page = await browser.newPage();
  await page.authenticate({ username: USER, password: PASS });
  return page.goto(evilUrl + path, { waitUntil: 'load' }).then(() => page);
}

describe('a page on another site, in the merchant\'s logged-in browser', () => {
  it.each(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'])(
    'a self-submitting <form enctype="%s"> cannot cancel an order',
    async (enctype) => {
      const id = await pendingOrder();
      const cancel = `${d.url}/transaction/${id}/cancel`;
      const page = await visit(`<form method="post" enctype="${enctype}" action="${cancel}"><input name="a" value="b"></form>`);
      const [answer] = await Promise.all([page.waitForNavigation(), page.evaluate(() => document.forms[0]?.submit())]);
      expect(answer?.url()).toBe(cancel);
      expect(answer?.status()).toBe(403); // Chromium says cross-site; a browser that does not would get 415
      expect(await page.evaluate(() => document.body.innerText)).toContain('Sec-Fetch-Site: cross-site');
      expect(await stateOf(id)).toBe('pending');
      await page.close();
    },
  );
});
