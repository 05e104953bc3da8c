import { hostname } from 'node:os';
import { captureIO } from '../helpers/cli-io.js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  runCreditsAttach, runCreditsDismiss, runCreditsList, runTransactionsConfirm, runTransactionsList,
} from '../../src/cli/review-commands.js';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

const io = captureIO;

describe('review commands', () => {
  it('credits list / attach / dismiss and transactions list / confirm act like the API, as cli:user@host', async () => {
    const d = await startTestDaemon();
    const tx = (await d.call('/create/transaction/', { body: { amount: 9000 } })).body.data;
    const tx2 = (await d.call('/create/transaction/', { body: { amount: 9100 } })).body.data;
    const a = (await d.call('/sandbox/credit', { body: { amount: 8999 } })).body.data.credit_id as string;
    const b = (await d.call('/sandbox/credit', { body: { amount: 1 } })).body.data.credit_id as string;

    const listed = io();
    expect(await runCreditsList(d.config, listed.io, { limit: 1, json: true, state: 'open' })).toBe(0);
    expect(listed.out).toHaveLength(2);
    expect(JSON.parse(listed.out[0]!)).toMatchObject({ credit_id: b, state: 'open' });
    const cursor = JSON.parse(listed.out[1]!).next_cursor as string;
    const next = io();
    await runCreditsList(d.config, next.io, { limit: 1, json: true, state: 'open', cursor });
    expect(JSON.parse(next.out[0]!)).toMatchObject({ credit_id: a });
    expect(JSON.parse(next.out[1]!)).toEqual({ next_cursor: null });

    const table = io();
    await runCreditsList(d.config, table.io, { limit: 10, json: false });
    expect(table.out[0]).toMatch(/^received/);
    expect(table.out.slice(1).join('\n')).toMatch(/8 999\.00 UZS/);

    const empty = io();
    expect(await runCreditsAttach(d.config, empty.io, a, tx.transaction_id, '  ')).toBe(2);
    expect(await runCreditsAttach(d.config, empty.io, 'nope', tx.transaction_id, 'x')).toBe(2);

    const att = io();
    expect(await runCreditsAttach(d.config, att.io, a, tx.transaction_id, 'one som short')).toBe(0);
    const c = (await d.call(`/credits/${a}`)).body.data;
    expect(c.resolution.by).toMatch(new RegExp(`^cli:.+@${hostname()}$`));
    expect(c.audit[0]).toMatchObject({ action: 'attach', reason: 'one som short' });
    const twice = io();
    expect(await runCreditsAttach(d.config, twice.io, a, tx2.transaction_id, 'again')).toBe(1);
    expect(twice.err[0]).toMatch(/already settled/);

    expect(await runCreditsDismiss(d.config, io().io, b, 'not a payment')).toBe(0);
    expect((await d.call(`/credits/${b}`)).body.data.resolution).toMatchObject({ kind: 'dismissed', reason: 'not a payment' });

    expect(await runTransactionsConfirm(d.config, io().io, tx2.transaction_id, 'paid in cash')).toBe(0);
    const t2 = (await d.call(`/transaction/${tx2.transaction_id}`)).body.data;
    expect(t2).toMatchObject({ state: 'confirmed', resolution: 'manual', confirm_reason: 'paid in cash' });
    expect(await runTransactionsConfirm(d.config, io().io, tx2.transaction_id, 'again')).toBe(1);

    const txs = io();
    await runTransactionsList(d.config, txs.io, { limit: 10, json: true, state: 'confirmed' });
    expect(txs.out.slice(0, -1).map((l) => JSON.parse(l).transaction_id).sort()).toEqual([tx.transaction_id, tx2.transaction_id].sort());
    const byAmount = io();
    await runTransactionsList(d.config, byAmount.io, { limit: 10, json: false, amountTiyin: 910_000 });
    expect(byAmount.out).toHaveLength(2);
    expect(byAmount.out[1]).toMatch(new RegExp(`${tx2.transaction_id}.*confirmed \\(manual\\)`));
  });

  it('transactions list --card finds a registered card\'s transactions (no CARDS set)', async () => {
    const d = await startTestDaemon();
    expect((await d.call('/cards', { body: { number: '9860100000027159', holder: 'ALISHER KARIMOV' } })).status).toBe(201);
    const tx = (await d.call('/create/transaction/', { body: { amount: 9200 } })).body.data;
    expect(tx.card).toBe('7159');
    const byCard = io();
    expect(await runTransactionsList(d.config, byCard.io, { limit: 10, json: true, card: '7159' })).toBe(0);
    expect(byCard.out.slice(0, -1).map((l) => JSON.parse(l).transaction_id)).toEqual([tx.transaction_id]);
    const other = io();
    await runTransactionsList(d.config, other.io, { limit: 10, json: true, card: '0042' });
    expect(other.out).toEqual([JSON.stringify({ next_cursor: null })]);
    expect((await d.call('/transactions?card=7159')).body.data.items.map((t: { transaction_id: string }) => t.transaction_id)).toEqual([tx.transaction_id]);
  });
});
