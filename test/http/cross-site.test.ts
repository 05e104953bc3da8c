// Issue 18 part 5: a web page on another site must not be able to change anything through a
// browser that holds the merchant's Basic credentials. Browsers send forms, multipart and
// text/plain bodies cross-site without asking, and mark every request with Sec-Fetch-Site:
// state-changing requests with either are refused; a body-less cancel (CONTRACT §3) and the
// pay page's own form (same-origin) keep working.
import { afterAll, describe, expect, it } from 'vitest';
import { AUTH, startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

const CARD = { number: '9860100000027159', holder: 'ALISHER KARIMOV', label: 'main' };
const FOREIGN_SITES = ['cross-site', 'same-site'] as const;
const crossSiteDetail = (site: string) =>
  `refused: the browser marks this request as sent by another site (Sec-Fetch-Site: ${site}); paycue's API is for your backend, not for web pages`;
const formDetail = (type: string) =>
  `Content-Type ${type} is refused (a page on another site can send it with a plain HTML form); send JSON with Content-Type: application/json, or no body where none is needed`;

/** What an HTML form's three encodings look like on the wire. */
const FORM_BODIES: [string, string][] = [
  ['application/x-www-form-urlencoded', ''],
  ['application/x-www-form-urlencoded', 'reason=x&transaction_id=y'],
  ['multipart/form-data; boundary=----x', '------x\r\nContent-Disposition: form-data; name="reason"\r\n\r\nx\r\n------x--\r\n'],
  ['text/plain', ''],
  ['Text/Plain; charset=UTF-8', '{"amount": 20000, "reason": "x"}'],
];

async function raw(d: TestDaemon, method: string, path: string, headers: Record<string, string>, body?: string) {
  const res = await fetch(d.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, body: (await res.json()) as { status: boolean; data: { detail?: string } } };
}

const stateOf = async (d: TestDaemon, id: string) => (await d.call(`/transaction/${id}`)).body.data.state as string;

async function createTx(d: TestDaemon, amount = 20000): Promise<string> {
  const r = await d.call('/create/transaction/', { body: { amount } });
  expect(r.status).toBe(200);
  return r.body.data.transaction_id as string;
}

describe('a cross-site HTML form cannot cancel an order', () => {
  it.each(FORM_BODIES)('POST /transaction/:id/cancel with %s, body %j, is 415 and the order stays pending', async (type, body) => {
    const d = await startTestDaemon();
    const id = await createTx(d);
    const r = await raw(d, 'POST', `/transaction/${id}/cancel`, { authorization: AUTH, 'content-type': type }, body);
    expect(r.status).toBe(415);
    expect(r.body).toEqual({ status: false, data: { detail: formDetail(type.split(';')[0]?.trim().toLowerCase() as string) } });
    expect(await stateOf(d, id)).toBe('pending');
    // The contract's cancel: no body, no content type.
    const ok = await raw(d, 'POST', `/transaction/${id}/cancel`, { authorization: AUTH });
    expect(ok.status).toBe(200);
    expect(await stateOf(d, id)).toBe('cancelled');
  });

  it('every state-changing route refuses form bodies (415, nothing written); POST /health, which changes nothing, answers any probe', async () => {
    const d = await startTestDaemon();
    expect((await d.call('/cards', { body: CARD })).status).toBe(201);
    const id = await createTx(d);
    const credit = (await d.call('/sandbox/credit', { body: { amount: 777, card: '7159' } })).body.data.credit_id as string;
    const routes: [string, string][] = [
      ['POST', '/create/transaction'], ['POST', `/transaction/${id}/cancel`], ['POST', `/transaction/${id}/confirm`],
      ['POST', `/credits/${credit}/attach`], ['POST', `/credits/${credit}/dismiss`], ['POST', '/sandbox/credit'],
      ['POST', '/cards'], ['PATCH', '/cards/7159'], ['DELETE', '/cards/7159'],
    ];
    for (const [method, path] of routes) {
      for (const [type, body] of FORM_BODIES) {
        const r = await raw(d, method, path, { authorization: AUTH, 'content-type': type }, body);
        expect(r.status, `${method} ${path} ${type}`).toBe(415);
        expect(r.body.data.detail).toMatch(/^Content-Type .* is refused .*application\/json/);
      }
    }
    expect(await stateOf(d, id)).toBe('pending');
    expect((await d.call('/transactions')).body.data.items).toHaveLength(1);
    expect((await d.call(`/credits/${credit}`)).body.data.state).toBe('open');
    expect((await d.call('/cards/7159')).body.data).toMatchObject({ label: 'main', active: true });
    expect((await raw(d, 'POST', '/health', { 'content-type': 'text/plain' }, 'ping')).status).toBe(200);
  });
});

describe('Sec-Fetch-Site: another site is refused on every state-changing route', () => {
  it('403 with the reason and nothing changes; the same request from a backend (no header) or the same origin succeeds', async () => {
    const d = await startTestDaemon({ PAY_RATE_LIMIT: '0' });
    /** Sends the request from each foreign site (each must be refused), then as `from`. */
    const step = async (
      init: { method: string; path: string; body?: unknown; auth?: boolean },
      unchanged: () => Promise<void>,
      from: Record<string, string> = {},
    ) => {
      for (const site of FOREIGN_SITES) {
        const r = await d.call(init.path, { method: init.method, body: init.body, auth: init.auth, headers: { 'sec-fetch-site': site } });
        expect(r.status, `${init.method} ${init.path} from ${site}`).toBe(403);
        expect(r.body).toEqual({ status: false, data: { detail: crossSiteDetail(site) } });
        await unchanged();
      }
      return d.call(init.path, { method: init.method, body: init.body, auth: init.auth, headers: from });
    };

    const noCards = async () => expect((await d.call('/cards')).body.data.cards).toEqual([]);
    expect((await step({ method: 'POST', path: '/cards', body: CARD }, noCards)).status).toBe(201);
    const labelMain = async () => expect((await d.call('/cards/7159')).body.data.label).toBe('main');
    expect((await step({ method: 'PATCH', path: '/cards/7159', body: { label: 'till' } }, labelMain, { 'sec-fetch-site': 'same-origin' })).status).toBe(200);

    const noTx = async () => expect((await d.call('/transactions')).body.data.items).toEqual([]);
    const created = await step({ method: 'POST', path: '/create/transaction', body: { amount: 20000 } }, noTx);
    expect(created.status).toBe(200);
    const [a, b, c] = [created.body.data.transaction_id as string, await createTx(d, 30000), await createTx(d, 40000)];
    const pending = (id: string) => async () => expect(await stateOf(d, id)).toBe('pending');

    expect((await step({ method: 'POST', path: `/transaction/${a}/cancel` }, pending(a), { 'sec-fetch-site': 'none' })).status).toBe(200);
    expect(await stateOf(d, a)).toBe('cancelled');
    expect((await step({ method: 'POST', path: `/transaction/${b}/confirm`, body: { reason: 'cash' } }, pending(b))).status).toBe(200);
    expect(await stateOf(d, b)).toBe('confirmed');

    const noCredits = async () => expect((await d.call('/credits')).body.data.items).toEqual([]);
    const sandbox = await step({ method: 'POST', path: '/sandbox/credit', body: { amount: 777, card: '7159' } }, noCredits);
    expect(sandbox.body.data).toMatchObject({ matched: false, reason: 'no_match' });
    const second = (await d.call('/sandbox/credit', { body: { amount: 888, card: '7159' } })).body.data.credit_id as string;
    const open = (id: string) => async () => expect((await d.call(`/credits/${id}`)).body.data.state).toBe('open');
    const attach = { method: 'POST', path: `/credits/${sandbox.body.data.credit_id}/attach`, body: { transaction_id: c, reason: 'paid short' } };
    expect((await step(attach, open(sandbox.body.data.credit_id))).status).toBe(200);
    expect(await stateOf(d, c)).toBe('confirmed');
    expect((await step({ method: 'POST', path: `/credits/${second}/dismiss`, body: { reason: 'refunded' } }, open(second))).status).toBe(200);

    const paidByPage = await createTx(d, 50000);
    const simulate = await step({ method: 'POST', path: `/pay/${paidByPage}/simulate`, auth: false }, pending(paidByPage), { 'sec-fetch-site': 'same-origin', accept: 'application/json' });
    expect(simulate.body.data).toMatchObject({ matched: true, transaction_id: paidByPage });

    const stillThere = async () => expect((await d.call('/cards/7159')).status).toBe(200);
    expect((await step({ method: 'DELETE', path: '/cards/7159?force=true' }, stillThere)).status).toBe(200);
    expect((await d.call('/cards/7159')).status).toBe(404);
  });
});

describe("the pay page's own form (sandbox: Simulate payment)", () => {
  it('posts from the page itself without JavaScript (same-origin form); another site, or no Sec-Fetch-Site, cannot', async () => {
    const d = await startTestDaemon({ PAY_RATE_LIMIT: '0' });
    const id = await createTx(d);
    const form = (site?: string) =>
      fetch(`${d.url}/pay/${id}/simulate`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(site ? { 'sec-fetch-site': site } : {}) },
        body: '',
      });
    expect((await form('cross-site')).status).toBe(403);
    expect((await form('same-site')).status).toBe(403);
    const unmarked = await form();
    expect(unmarked.status).toBe(415);
    expect(((await unmarked.json()) as { data: { detail: string } }).data.detail).toBe(formDetail('application/x-www-form-urlencoded'));
    expect(await stateOf(d, id)).toBe('pending');
    const own = await form('same-origin');
    expect(own.status).toBe(303);
    expect(own.headers.get('location')).toBe(`/pay/${id}`);
    expect(await stateOf(d, id)).toBe('confirmed');
  });
});
