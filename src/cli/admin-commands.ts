// `paycue webhooks failed|redeliver` and `paycue credits unmatched`.
import { whereLooked } from '../ops/redis-connection.js';
import type { OperatorConfig as Config } from '../config/env.js';
import { formatSom } from '../money/amount.js';
import { listUnmatched } from '../transactions/credit.js';
import { listFailed, redeliver, redeliverFailed } from '../webhooks/admin.js';
import { withContext } from './admin-connection.js';
import { cliUser } from './actor.js';
import { parseTransactionId } from '../transactions/id.js';
import { parseCreditId } from '../credits/get.js';
import type { CliIO } from './io.js';

export interface ListOptions {
  limit: number;
  json: boolean;
}

/** Where an empty answer came from: a wrong REDIS_URL or prefix looks just like "nothing". */
const where = whereLooked;

/** One JSON object per line with --json, else one readable line per row (or `none`). */
function printRows<T>(io: CliIO, rows: T[], json: boolean, none: string, line: (row: T) => string): number {
  if (json) rows.forEach((r) => io.out(JSON.stringify(r)));
  else if (rows.length === 0) io.out(none);
  else rows.forEach((r) => io.out(line(r)));
  return 0;
}

export async function runWebhooksFailed(config: Config, io: CliIO, opts: ListOptions): Promise<number> {
  const rows = await withContext(config, (ctx) => listFailed(ctx, opts.limit));
  return printRows(io, rows, opts.json, `no failed webhook deliveries${where(config)}`, (r) => {
    const amount = r.amount_tiyin === null ? '?' : formatSom(r.amount_tiyin);
    return `${r.failed_at}  ${r.transaction_id}  ${r.action ?? '?'}  ${amount}  attempts=${r.attempts}  last: ${r.last_error ?? '-'}`;
  });
}

export async function runWebhooksRedeliver(config: Config, io: CliIO, rawId: string, force = false): Promise<number> {
  const creditId = parseCreditId(rawId);
  const id = creditId ?? parseTransactionId(rawId);
  if (!id) {
    io.err(`malformed id "${rawId.slice(0, 80)}": expected a transaction id (a UUID like 622ea789-5b4c-4e6a-a76b-415ac144eb34) or a credit id (cr_ and 16 hex digits)`);
    return 2;
  }
  const what = creditId ? `credit ${id}'s late_payment event` : `${id}'s webhook`;
  const result = await withContext(config, (ctx) => redeliver(ctx, id, cliUser(), force));
  switch (result) {
    case 'queued':
      io.out(`queued a new delivery of ${what} (same webhook-id); a running daemon sends it now`);
      return 0;
    case 'unknown':
      io.err(creditId ? `nothing to send for credit ${id}: no such credit, no late_payment event, or its transaction's record has expired (kept 7 days)${where(config)}` : `no transaction ${id} (records are kept 7 days)${where(config)}`);
      return 1;
    case 'not_decided':
      io.err(`transaction ${id} is still pending: there is no webhook to send yet`);
      return 1;
    case 'in_progress':
      io.err(`${what} is still being delivered; wait until it is delivered or failed (--force queues it anyway, e.g. after Redis lost its queue)`);
      return 1;
  }
}

/** `webhooks redeliver --all-failed [--since 2h]`: after a merchant outage. */
export async function runWebhooksRedeliverFailed(config: Config, io: CliIO, sinceMs: number | null): Promise<number> {
  const from = sinceMs === null ? 0 : Date.now() - sinceMs;
  const counts = await withContext(config, (ctx) => redeliverFailed(ctx, cliUser(), from));
  const window = sinceMs === null ? '' : ` since ${new Date(from).toISOString()}`;
  io.out(counts.queued + counts.unknown + counts.in_progress + counts.not_decided === 0
    ? `no failed deliveries${window} to queue again${where(config)}`
    : `queued ${counts.queued} failed deliveries${window} again (same webhook-ids); a running daemon sends them now`);
  const skipped = counts.unknown + counts.in_progress + counts.not_decided;
  if (skipped > 0) io.err(`skipped ${skipped}: ${counts.unknown} whose records expired, ${counts.in_progress} already being delivered`);
  return 0;
}

export async function runCreditsUnmatched(config: Config, io: CliIO, opts: ListOptions): Promise<number> {
  const rows = await withContext(config, (ctx) => listUnmatched(ctx, opts.limit));
  return printRows(io, rows, opts.json, `no unmatched credits${where(config)}`, (r) => {
    const card = r.last4 ? `*${r.last4}` : '(no card)';
    const tx = r.transaction_id ? ` transaction ${r.transaction_id}` : '';
    return `${r.received_at}  ${formatSom(r.amount_tiyin)}  ${card}  ${r.reason}${tx}${r.detail ? `  (${r.detail})` : ''}  [${r.message_key}]`;
  });
}
