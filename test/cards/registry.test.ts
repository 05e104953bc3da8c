// Card registry through the authenticated API and `paycue cards …`, against real Redis.
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestDaemon, stopTestDaemons, testConfig, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis, keysUnder, openRedis } from '../helpers/redis.js';
import { startReceiver } from '../helpers/receiver.js';
import { createLogger } from '../../src/log/logger.js';
import { startDaemon } from '../../src/daemon/daemon.js';
import { runCardsAdd, runCardsList, runCardsRemove, runCardsSetActive, runCardsShow } from '../../src/cli/cards-commands.js';
import { luhnValid, mask } from '../../src/cards/card.js';
import type { CliIO } from '../../src/cli/io.js';

const MAIN = { number: '9860100000027159', holder: 'ALISHER KARIMOV', label: 'main', bot: 'humo', links: [{ title: 'Click', url: 'https://my.click.uz/pay?amount={amount}' }] };
// Luhn-valid numbers with other last-4s.
const SECOND = { number: '8600120000030042', holder: 'DILNOZA YUSUPOVA' };

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

function captureIO(): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

describe('card numbers', () => {
  it('checks Luhn and masks for logs', () => {
    expect(luhnValid(MAIN.number)).toBe(true);
    expect(luhnValid(SECOND.number)).toBe(true);
    expect(luhnValid('9860100000027158')).toBe(false);
    expect(mask(MAIN.number)).toBe('986010******7159');
  });
});

describe('/cards API', () => {
  it('adds a card and answers with its public shape; lists and shows it', async () => {
    const d = await startTestDaemon();
    const r = await d.call('/cards', { body: MAIN });
    expect(r.status).toBe(201);
    expect(r.body.data).toEqual({
      last4: '7159', number_display: '9860 1000 0002 7159', holder: 'ALISHER KARIMOV', label: 'main', bot: 'humo', active: true,
      links: [{ title: 'Click', url: 'https://my.click.uz/pay?amount={amount}' }],
    });
    const second = await d.call('/cards', { body: SECOND });
    expect(second.body.data).toMatchObject({ last4: '0042', label: null, bot: 'humo', links: [] });
    expect((await d.call('/cards')).body.data.cards.map((c: { last4: string }) => c.last4)).toEqual(['0042', '7159']);
    expect((await d.call('/cards/7159/')).body.data.holder).toBe('ALISHER KARIMOV');
    expect((await d.call('/cards/1234')).status).toBe(404);
    expect((await d.call('/cards', { auth: false })).status).toBe(401);
  });

  it('refuses bad input with a reason and writes nothing', async () => {
    const d = await startTestDaemon();
    const redis = await openRedis();
    const before = await keysUnder(redis, d.config.redisPrefix);
    const bad: [unknown, RegExp][] = [
      [{ ...MAIN, number: '9860100000027158' }, /^number: fails the Luhn check/],
      [{ ...MAIN, number: '98601000000271' }, /^number: must be 16 digits/],
      [{ ...MAIN, number: 9860100000027159 }, /^number: must be a string of 16 digits/],
      [{ holder: 'X Y' }, /^number: is required/],
      [{ ...MAIN, holder: '' }, /^holder: must be at least 2 characters/],
      [{ ...MAIN, bot: 'payme' }, /^bot: must be one of humo, cardxabar/],
      [{ ...MAIN, links: [{ title: 'x', url: 'javascript:alert(1)' }] }, /^links\.0\.url: must be an http/],
      [{ ...MAIN, extra: 1 }, /unknown field extra/],
      [[MAIN], /JSON object/],
    ];
    for (const [body, reason] of bad) {
      const r = await d.call('/cards', { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.data.detail).toMatch(reason);
    }
    expect(await keysUnder(redis, d.config.redisPrefix)).toEqual(before);
    expect(before.some((k) => k.includes(':cards'))).toBe(false);
    expect((await d.call('/cards/71x9')).status).toBe(400);
    expect((await d.call('/cards/71599', { method: 'PATCH', body: { active: false } })).status).toBe(400);
  });

  it('refuses a duplicate last-4 with 409 and keeps the first card', async () => {
    const d = await startTestDaemon();
    await d.call('/cards', { body: MAIN });
    const dup = await d.call('/cards', { body: { number: '4000000000067159', holder: 'SOMEONE ELSE' } });
    expect(dup.status).toBe(409);
    expect(dup.body.data.detail).toMatch(/already registered/);
    expect((await d.call('/cards/7159')).body.data.holder).toBe('ALISHER KARIMOV');
  });

  it('a patch changes only the given fields; the number cannot change', async () => {
    const d = await startTestDaemon();
    await d.call('/cards', { body: MAIN });
    const r = await d.call('/cards/7159', { method: 'PATCH', body: { label: null, holder: 'A. KARIMOV' } });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ holder: 'A. KARIMOV', label: null, number_display: '9860 1000 0002 7159', links: MAIN.links });
    const no = await d.call('/cards/7159', { method: 'PATCH', body: { number: SECOND.number } });
    expect(no.status).toBe(400);
    expect(no.body.data.detail).toMatch(/number cannot change/);
  });
});

describe('holder and label: no invisible or text-direction characters (issue 18 part 5)', () => {
  // Each would make the pay page (or the operator's list) show something other than what was
  // typed: RLO turns "ALISHER" into "REHSILA"-looking text, zero-widths hide inside names.
  const HIDDEN: [string, string][] = [
    ['U+200B', '\u200B'], ['U+200C', '\u200C'], ['U+200D', '\u200D'], ['U+200E', '\u200E'], ['U+200F', '\u200F'],
    ['U+202A', '\u202A'], ['U+202B', '\u202B'], ['U+202C', '\u202C'], ['U+202D', '\u202D'], ['U+202E', '\u202E'],
    ['U+2060', '\u2060'], ['U+2066', '\u2066'], ['U+2067', '\u2067'], ['U+2068', '\u2068'], ['U+2069', '\u2069'],
    ['U+FEFF', '\uFEFF'], ['U+00AD', '\u00AD'], ['U+061C', '\u061C'], ['U+2028', '\u2028'], ['U+0007', '\u0007'],
    ['U+E0041', '\u{E0041}'], ['U+3164', '\u3164'],
  ];

  it.each(HIDDEN)('%s in a new card\'s holder or label is a 400 naming the field and the character', async (code, ch) => {
    const d = await startTestDaemon();
    const holder = await d.call('/cards', { body: { ...MAIN, holder: `ALISHER${ch} KARIMOV` } });
    expect(holder.status).toBe(400);
    expect(holder.body.data.detail).toBe(`holder: contains ${code}, an invisible or text-direction character; use visible characters only`);
    const label = await d.call('/cards', { body: { ...MAIN, label: `ma${ch}in` } });
    expect(label.status).toBe(400);
    expect(label.body.data.detail).toBe(`label: contains ${code}, an invisible or text-direction character; use visible characters only`);
    expect((await d.call('/cards')).body.data.cards).toEqual([]);
  });

  it('a patch is refused the same way and changes nothing; the CLI refuses it too (exit 2)', async () => {
    const d = await startTestDaemon();
    await d.call('/cards', { body: MAIN });
    for (const patch of [{ holder: '\u202EVOMIRAK REHSILA' }, { label: 'main\u200B' }, { links: [{ title: 'Cli\u2066ck', url: 'https://click.uz' }] }]) {
      const r = await d.call('/cards/7159', { method: 'PATCH', body: patch });
      expect(r.status, JSON.stringify(patch)).toBe(400);
      expect(r.body.data.detail).toMatch(/^(holder|label|links\.0\.title): contains U\+[0-9A-F]{4}, an invisible or text-direction character/);
    }
    expect((await d.call('/cards/7159')).body.data).toMatchObject({ holder: MAIN.holder, label: MAIN.label, links: MAIN.links });
    const io = captureIO();
    expect(await runCardsAdd(d.config, io, { number: SECOND.number, holder: 'DILNOZA\u2067 YUSUPOVA' })).toBe(2);
    expect(io.errors.join('\n')).toContain('holder: contains U+2067');
  });

  it('visible names in any script, and emoji in a label, are accepted', async () => {
    const d = await startTestDaemon();
    const r = await d.call('/cards', { body: { ...MAIN, holder: "O'G'ILOY ҲАЙДАРОВА محمد", label: 'asosiy 💳 ❤️' } });
    expect(r.status).toBe(201);
    expect(r.body.data).toMatchObject({ holder: "O'G'ILOY ҲАЙДАРОВА محمد", label: 'asosiy 💳 ❤️' });
  });
});

describe('disable, enable, remove', () => {
  async function withCards(env: Record<string, string> = {}): Promise<TestDaemon> {
    const d = await startTestDaemon(env);
    expect((await d.call('/cards', { body: MAIN })).status).toBe(201);
    expect((await d.call('/cards', { body: SECOND })).status).toBe(201);
    return d;
  }

  it('unregistering a card that is also in CARDS leaves it a working CARDS card', async () => {
    const d = await startTestDaemon({ CARDS: '7159' });
    expect((await d.call('/cards', { body: MAIN })).status).toBe(201);
    expect((await d.call('/cards/7159', { method: 'DELETE' })).status).toBe(200);
    const r = await d.call('/create/transaction/', { body: { amount: 5100, card: '7159' } });
    expect(r.status).toBe(200);
    expect(r.body.data.card).toBe('7159');
  });

  it('a forced remove cancels with each transaction\'s own Idempotency-Key (it expires with the record)', async () => {
    const d = await withCards();
    const key = `order-${Date.now()}`;
    const tx = await d.call('/create/transaction/', { body: { amount: 5200, card: '7159' }, headers: { 'idempotency-key': key } });
    expect(tx.status).toBe(200);
    expect((await d.call('/cards/7159?force=true', { method: 'DELETE' })).status).toBe(200);
    expect((await d.call(`/transaction/${tx.body.data.transaction_id}`)).body.data.state).toBe('cancelled');
    const idemKeys = await d.ctx.redis.keys(`${d.ctx.keys.idempotency('*')}`);
    expect(idemKeys.length).toBe(1);
    expect(await d.ctx.redis.pttl(idemKeys[0] as string)).toBeGreaterThan(0);
  });

  it('a credit for a card registered behind the daemon\'s back is matched after a fresh look', async () => {
    const d = await startTestDaemon({});
    // Registered without the change notice reaching the daemon (a missed ping, or Redis was away).
    await d.ctx.redis.hset(d.ctx.keys.cards, '7159', JSON.stringify({ number: '9860100000027159', holder: 'A B', bot: 'humo', links: [], added_at: Date.now() }));
    expect(d.ctx.rules.cards).not.toContain('7159');
    const { createTransaction } = await import('../../src/transactions/create.js');
    const { createTxContext } = await import('../../src/transactions/context.js');
    const other = createTxContext(d.ctx.redis, d.config.redisPrefix, { ...d.ctx.rules, cards: ['7159'] });
    const r = await createTransaction(other, { amountSom: 5300, card: '7159' });
    if (r.kind !== 'created') throw new Error('not created');
    const credit = await d.call('/sandbox/credit', { body: { amount: 5300, card: '7159' } });
    expect(credit.body.data).toMatchObject({ matched: true, transaction_id: r.tx.id });
  });

  it('a disabled card gets no new reservations but still matches credits for its pending ones', async () => {
    const d = await withCards();
    const pending = await d.call('/create/transaction/', { body: { amount: 5000, card: '7159' } });
    expect(pending.body.data.card).toBe('7159');
    expect((await d.call('/cards/7159', { method: 'PATCH', body: { active: false } })).body.data.active).toBe(false);

    const explicit = await d.call('/create/transaction/', { body: { amount: 5000, card: '7159' } });
    expect(explicit.status).toBe(400);
    expect(explicit.body.data.detail).toMatch(/disabled/);
    for (let i = 0; i < 3; i++) {
      expect((await d.call('/create/transaction/', { body: { amount: 7000 } })).body.data.card).toBe('0042');
    }
    const credit = await d.call('/sandbox/credit', { body: { amount: 5000, card: '7159' } });
    expect(credit.body.data).toEqual({ matched: true, transaction_id: pending.body.data.transaction_id, credit_id: expect.any(String) });

    await d.call('/cards/7159', { method: 'PATCH', body: { active: true } });
    expect((await d.call('/create/transaction/', { body: { amount: 5000, card: '7159' } })).status).toBe(200);
  });

  it('disabling through the CLI reaches a running daemon at once (a reservation is refused in Redis)', async () => {
    const d = await startTestDaemon();
    await d.call('/cards', { body: MAIN });
    const io = captureIO();
    expect(await runCardsSetActive(d.config, io, '7159', false)).toBe(0);
    // Only card, disabled: nothing to reserve on (decided by reserve.lua, not the daemon's cache).
    const r = await d.call('/create/transaction/', { body: { amount: 100 } });
    expect(r.status).toBe(409);
  });

  it('remove is refused while transactions are pending; --force cancels them with webhooks', async () => {
    const hooks = await startReceiver();
    const d = await withCards({ WEBHOOK_URL: hooks.url });
    const a = await d.call('/create/transaction/', { body: { amount: 9000, card: '7159' } });
    const b = await d.call('/create/transaction/', { body: { amount: 9000, card: '7159' } });
    const refused = await d.call('/cards/7159', { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(refused.body.data.detail).toMatch(/2 pending/);
    expect((await d.call('/cards/7159')).status).toBe(200);

    const forced = await d.call('/cards/7159?force=true', { method: 'DELETE' });
    expect(forced.status).toBe(200);
    expect([...forced.body.data.cancelled].sort()).toEqual([a.body.data.transaction_id, b.body.data.transaction_id].sort());
    expect((await d.call('/cards/7159')).status).toBe(404);
    const got = await hooks.waitFor(2);
    expect(got.map((h) => h.json.action)).toEqual(['cancel', 'cancel']);
    expect((await d.call(`/transaction/${a.body.data.transaction_id}`)).body.data).toMatchObject({
      state: 'cancelled', cancel_reason: 'cancelled', audit: [expect.objectContaining({ action: 'cancel', by: 'api:merchant', reason: 'card *7159 removed with --force' })],
    });
    // Without pending transactions a plain remove works.
    expect((await d.call('/cards/0042', { method: 'DELETE' })).status).toBe(200);
    expect((await d.call('/cards/0042', { method: 'DELETE' })).status).toBe(404);
    await hooks.close();
  });

  it('CARDS (last-4 only) keeps working beside the registry', async () => {
    const d = await startTestDaemon({ CARDS: '7159,0042' });
    const r = await d.call('/create/transaction/', { body: { amount: 3000, card: '0042' } });
    expect(r.status).toBe(200);
    expect(r.body.data.card).toBe('0042');
    expect((await d.call('/create/transaction/', { body: { amount: 3000, card: '1111' } })).status).toBe(400);
    const credit = await d.call('/sandbox/credit', { body: { amount: 3000, card: '0042' } });
    expect(credit.body.data.matched).toBe(true);
  });
});

describe('paycue cards', () => {
  it('add, list, show, disable, enable, remove through the CLI functions', async () => {
    const d = await startTestDaemon();
    const io = captureIO();
    expect(await runCardsAdd(d.config, io, { number: '9860 1000 0002 7159', holder: 'ALISHER KARIMOV', label: 'main', link: ['Click=https://my.click.uz/pay?a=1&amount={amount}'] })).toBe(0);
    expect(io.lines.at(-1)).toMatch(/^added: 7159 {2}9860 1000 0002 7159 {2}ALISHER KARIMOV {2}\[main\] {2}humo {2}active/);
    const api = await d.call('/cards/7159');
    expect(api.body.data.links).toEqual([{ title: 'Click', url: 'https://my.click.uz/pay?a=1&amount={amount}' }]);

    expect(await runCardsAdd(d.config, io, { number: '9860100000027158', holder: 'X Y' })).toBe(2);
    expect(io.errors.at(-1)).toMatch(/Luhn/);
    expect(await runCardsAdd(d.config, io, { number: MAIN.number, holder: 'X Y' })).toBe(1);
    expect(await runCardsAdd(d.config, io, { number: SECOND.number, holder: 'X Y', link: ['no-equals'] })).toBe(2);

    const list = captureIO();
    expect(await runCardsList(d.config, list, true)).toBe(0);
    expect(list.lines.map((l) => JSON.parse(l).last4)).toEqual(['7159']);
    const show = captureIO();
    expect(await runCardsShow(d.config, show, '7159', false)).toBe(0);
    expect(show.lines.join('\n')).toContain('Click: https://my.click.uz/pay?a=1&amount={amount}');
    expect(await runCardsShow(d.config, show, '71', false)).toBe(2);

    expect(await runCardsSetActive(d.config, io, '7159', false)).toBe(0);
    expect((await d.call('/cards/7159')).body.data.active).toBe(false);
    expect(await runCardsSetActive(d.config, io, '7159', true)).toBe(0);
    expect((await d.call('/cards/7159')).body.data.active).toBe(true);

    await d.call('/create/transaction/', { body: { amount: 100 } });
    const rm = captureIO();
    expect(await runCardsRemove(d.config, rm, '7159', false)).toBe(1);
    expect(rm.errors.at(-1)).toMatch(/1 pending transaction/);
    expect(await runCardsRemove(d.config, rm, '7159', true)).toBe(0);
    expect(rm.lines.at(-1)).toMatch(/removed; cancelled 1 pending/);
    expect(await runCardsRemove(d.config, rm, '7159', false)).toBe(1);
  });
});

describe('logs', () => {
  it('never contain a full card number', async () => {
    let out = '';
    const sink = new Writable({ write: (chunk, _e, cb) => ((out += chunk.toString()), cb()) });
    const config = testConfig();
    const daemon = await startDaemon(config, createLogger({ debug: false, level: 'debug', destination: sink }));
    const url = `http://127.0.0.1:${daemon.port}`;
    const auth = { authorization: 'Basic ' + Buffer.from(`${config.apiUsername}:${config.apiPassword}`).toString('base64'), 'content-type': 'application/json' };
    try {
      expect((await fetch(`${url}/cards`, { method: 'POST', headers: auth, body: JSON.stringify(MAIN) })).status).toBe(201);
      await fetch(`${url}/cards/7159`, { method: 'PATCH', headers: auth, body: JSON.stringify({ holder: 'NEW NAME' }) });
      const tx = (await (await fetch(`${url}/create/transaction/`, { method: 'POST', headers: auth, body: JSON.stringify({ amount: 100 }) })).json()) as { data: { transaction_id: string } };
      await fetch(`${url}/pay/${tx.data.transaction_id}`);
      await fetch(`${url}/cards/7159?force=1`, { method: 'DELETE', headers: auth });
    } finally {
      await daemon.stop(2000);
    }
    expect(out).toContain('986010******7159');
    expect(out).not.toContain(MAIN.number);
    expect(out).not.toContain('9860 1000 0002 7159');
  });
});
