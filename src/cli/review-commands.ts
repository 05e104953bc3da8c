// `paycue credits list|attach|dismiss` and `paycue transactions list|confirm`: the same
// operations as the API and the alert buttons, acting as `cli:<user>@<host>`.
import { whereLooked } from '../ops/redis-connection.js';
import type { OperatorConfig as Config } from '../config/env.js';
import { cliUser } from './actor.js';
import { parseCreditId } from '../credits/get.js';
import { listCredits } from '../credits/list.js';
import type { CreditState, PublicCredit } from '../credits/record.js';
import { attachCredit, dismissCredit } from '../credits/settle.js';
import { BadCursor, type Page } from '../lists/page.js';
import { formatDifference, formatSom } from '../money/amount.js';
import { confirmManually } from '../transactions/confirm-manual.js';
import { cancelByHand } from '../transactions/cancel.js';
import { parseTransactionId } from '../transactions/id.js';
import { listTransactions, type ListedTransaction } from '../transactions/list.js';
import type { TxState } from '../transactions/record.js';
import { withContext } from './admin-connection.js';
import type { CliIO } from './io.js';

export interface PageOptions {
  limit: number;
  json: boolean;
  from?: number;
  to?: number;
  cursor?: string;
}

const where = whereLooked;

function pageOf(o: PageOptions) {
  return {
    limit: o.limit,
    ...(o.from !== undefined ? { from: o.from } : {}),
    ...(o.to !== undefined ? { to: o.to } : {}),
    ...(o.cursor !== undefined ? { cursor: o.cursor } : {}),
  };
}

/** JSON: one object per line, then `{"next_cursor": …}`; else a table and the next command. */
function printPage<T>(io: CliIO, page: Page<T>, json: boolean, none: string, header: string, line: (row: T) => string): number {
  if (json) {
    page.items.forEach((r) => io.out(JSON.stringify(r)));
    io.out(JSON.stringify({ next_cursor: page.next_cursor }));
    return 0;
  }
  if (page.items.length === 0) io.out(none);
  else {
    io.out(header);
    page.items.forEach((r) => io.out(line(r)));
  }
  if (page.next_cursor) io.out(`more: --cursor ${page.next_cursor}`);
  return 0;
}

async function guarded(io: CliIO, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof BadCursor) {
      io.err(err.message);
      return 2;
    }
    throw err;
  }
}

const card = (last4: string | null) => (last4 ? `*${last4}` : '-');
/** A manual confirm; by an attached credit also what arrived (the amount column is the order's). */
const manual = (t: ListedTransaction) => {
  if (t.resolution !== 'manual') return '';
  if (t.amount_received_tiyin === undefined) return ' (manual)';
  const diff = formatDifference(t.amount_received_tiyin, t.amount_tiyin);
  return ` (manual: ${t.credit_id} brought ${formatSom(t.amount_received_tiyin)}${diff ? `, ${diff}` : ''})`;
};
const pad = (s: string, n: number) => s.padEnd(n);

export async function runCreditsList(config: Config, io: CliIO, o: PageOptions & { state?: CreditState }): Promise<number> {
  return guarded(io, async () => {
    const page = await withContext(config, (ctx) => listCredits(ctx, { ...pageOf(o), ...(o.state ? { state: o.state } : {}) }));
    return printPage<PublicCredit>(
      io, page, o.json, `no ${o.state ?? ''} credits${where(config)}`.replace('no  ', 'no '),
      `${pad('received', 24)}  ${pad('credit', 19)}  ${pad('amount', 18)}  ${pad('card', 5)}  ${pad('verdict', 17)}  state`,
      (c) => {
        const settled = c.resolution ? ` ${c.resolution.kind}${c.resolution.transaction_id ? ` → ${c.resolution.transaction_id}` : ''} by ${c.resolution.by}` : '';
        return `${pad(c.received_at, 24)}  ${c.credit_id}  ${pad(formatSom(c.amount_tiyin), 18)}  ${pad(card(c.last4), 5)}  ${pad(c.verdict, 17)}  ${c.state}${settled}`;
      },
    );
  });
}

export async function runTransactionsList(
  config: Config,
  io: CliIO,
  o: PageOptions & { state?: TxState; card?: string; amountTiyin?: number },
): Promise<number> {
  return guarded(io, async () => {
    const q = {
      ...pageOf(o),
      ...(o.state ? { state: o.state } : {}),
      ...(o.card ? { card: o.card } : {}),
      ...(o.amountTiyin !== undefined ? { amountTiyin: o.amountTiyin } : {}),
    };
    const page = await withContext(config, (ctx) => listTransactions(ctx, q));
    return printPage<ListedTransaction>(
      io, page, o.json, `no transactions${where(config)}`,
      `${pad('created', 24)}  ${pad('transaction', 36)}  ${pad('amount', 18)}  ${pad('card', 5)}  state`,
      (t) => `${pad(t.created_at, 24)}  ${t.transaction_id}  ${pad(formatSom(t.amount_tiyin), 18)}  ${pad(card(t.card), 5)}  ${t.state}${manual(t)}`,
    );
  });
}

function badId(io: CliIO, what: string, raw: string, example: string): number {
  io.err(`malformed ${what} "${raw.slice(0, 80)}": expected ${example}`);
  return 2;
}

function reasonOk(io: CliIO, reason: string): boolean {
  if (reason.trim() === '') {
    io.err('--reason must not be empty: say why, in a few words');
    return false;
  }
  return true;
}

export async function runCreditsAttach(config: Config, io: CliIO, rawCredit: string, rawTx: string, reason: string): Promise<number> {
  const creditId = parseCreditId(rawCredit);
  if (!creditId) return badId(io, 'credit id', rawCredit, 'cr_ followed by 16 hex digits');
  const txId = parseTransactionId(rawTx);
  if (!txId) return badId(io, 'transaction id', rawTx, 'a UUID');
  if (!reasonOk(io, reason)) return 2;
  const r = await withContext(config, (ctx) => attachCredit(ctx, creditId, txId, cliUser(), reason.trim()));
  if (!r.ok) {
    io.err(`${r.detail}${r.status === 404 ? where(config) : ''}`);
    return 1;
  }
  const diff = formatDifference(r.receivedTiyin, r.amountTiyin);
  const arrived = diff ? `; ${formatSom(r.receivedTiyin)} arrived for the ${formatSom(r.amountTiyin)} order (${diff})` : '';
  io.out(`attached ${creditId} to ${txId}: the transaction is confirmed and its confirm webhook (resolution manual) is queued${arrived}`);
  return 0;
}

export async function runCreditsDismiss(config: Config, io: CliIO, rawCredit: string, reason: string): Promise<number> {
  const creditId = parseCreditId(rawCredit);
  if (!creditId) return badId(io, 'credit id', rawCredit, 'cr_ followed by 16 hex digits');
  if (!reasonOk(io, reason)) return 2;
  const r = await withContext(config, (ctx) => dismissCredit(ctx, creditId, cliUser(), reason.trim()));
  if (!r.ok) {
    io.err(`${r.detail}${r.status === 404 ? where(config) : ''}`);
    return 1;
  }
  io.out(`dismissed ${creditId}: ${reason.trim()}`);
  return 0;
}

export async function runTransactionsConfirm(config: Config, io: CliIO, rawTx: string, reason: string): Promise<number> {
  const txId = parseTransactionId(rawTx);
  if (!txId) return badId(io, 'transaction id', rawTx, 'a UUID');
  if (!reasonOk(io, reason)) return 2;
  const r = await withContext(config, (ctx) => confirmManually(ctx, txId, cliUser(), reason.trim()));
  if (!r.ok) {
    io.err(`${r.detail}${r.status === 404 ? where(config) : ''}`);
    return 1;
  }
  io.out(`confirmed ${txId} by hand; its confirm webhook (resolution manual) is queued`);
  return 0;
}

export async function runTransactionsCancel(config: Config, io: CliIO, rawTx: string, reason: string): Promise<number> {
  const txId = parseTransactionId(rawTx);
  if (!txId) return badId(io, 'transaction id', rawTx, 'a UUID');
  if (!reasonOk(io, reason)) return 2;
  const r = await withContext(config, (ctx) => cancelByHand(ctx, txId, cliUser(), reason.trim()));
  if (!r.ok) {
    io.err(`${r.detail}${r.status === 404 ? where(config) : ''}`);
    return 1;
  }
  io.out(`cancelled ${txId} by hand; its cancel webhook is queued and its amount quarantined`);
  return 0;
}
