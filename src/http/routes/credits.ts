// The review queue (README: When money doesn't match): GET /credits, GET /credits/:id,
// POST /credits/:id/attach, POST /credits/:id/dismiss; and GET /transactions,
// POST /transaction/:id/confirm. Thin: parse, call the operation the CLI and the alert
// buttons call too, answer.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { apiActor, auditOf, MAX_REASON } from '../../credits/audit.js';
import { getCreditWithAudit, parseCreditId } from '../../credits/get.js';
import { listCredits } from '../../credits/list.js';
import { creditToPublic } from '../../credits/record.js';
import { attachCredit, dismissCredit } from '../../credits/settle.js';
import { BadCursor, MAX_PAGE, type PageQuery } from '../../lists/page.js';
import { confirmManually } from '../../transactions/confirm-manual.js';
import { getTransactionWithAttempts } from '../../transactions/get.js';
import { parseTransactionId } from '../../transactions/id.js';
import { listTransactions } from '../../transactions/list.js';
import { toPublic } from '../../transactions/record.js';
import type { AppDeps } from '../deps.js';
import { readJson, validate } from '../json-body.js';
import { HttpError, ok } from '../respond.js';
import { somToTiyinExact } from './sandbox.js';

const reason = z.string({ error: 'is required (why, in a few words)' }).trim().min(1, 'must not be empty').max(MAX_REASON);
const attachBody = z.object({ transaction_id: z.string({ error: 'is required' }), reason }, { error: 'body must be a JSON object' });
const reasonBody = z.object({ reason }, { error: 'body must be a JSON object' });

/** `2026-11-22T10:00:00Z` or unix milliseconds. */
function parseTime(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const ms = /^\d{1,15}$/.test(raw) ? Number(raw) : /^\d{4}-\d\d-\d\d/.test(raw) ? Date.parse(raw) : NaN;
  if (!Number.isFinite(ms)) throw new HttpError(400, `${name}: expected an ISO 8601 time or unix milliseconds`);
  return ms;
}

function pageQuery(c: Context): PageQuery {
  const raw = c.req.query('limit');
  if (raw !== undefined && (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PAGE)) {
    throw new HttpError(400, `limit: expected 1 to ${MAX_PAGE}`);
  }
  const from = parseTime('from', c.req.query('from'));
  const to = parseTime('to', c.req.query('to'));
  const cursor = c.req.query('cursor');
  return {
    limit: raw === undefined ? 50 : Number(raw),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(cursor ? { cursor } : {}),
  };
}

function oneOf<T extends string>(name: string, raw: string | undefined, values: readonly T[]): T | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!(values as readonly string[]).includes(raw)) throw new HttpError(400, `${name}: expected one of ${values.join(', ')}`);
  return raw as T;
}

/** A bad cursor is the client's mistake (400), not ours. */
async function paged<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof BadCursor) throw new HttpError(400, err.message);
    throw err;
  }
}

export function creditRoutes(deps: AppDeps) {
  const { ctx } = deps;
  const actor = apiActor(deps.settings.username);
  const app = new Hono();

  app.get('/credits', async (c) => {
    const q = { ...pageQuery(c), ...optional('state', oneOf('state', c.req.query('state'), ['open', 'resolved'] as const)) };
    return ok(c, await paged(() => listCredits(ctx, q)));
  });

  app.get('/credits/:id', async (c) => {
    const id = parseCreditId(c.req.param('id'));
    const found = id ? await getCreditWithAudit(ctx, id) : null;
    if (!found) throw new HttpError(404, 'credit not found');
    return ok(c, { ...creditToPublic(found.credit, ctx.rules.step), audit: found.audit });
  });

  app.post('/credits/:id/attach', async (c) => {
    const body = validate(attachBody, await readJson(c));
    const id = parseCreditId(c.req.param('id'));
    if (!id) throw new HttpError(404, 'credit not found');
    const txId = parseTransactionId(body.transaction_id);
    if (!txId) throw new HttpError(400, 'transaction_id: expected a UUID');
    const r = await attachCredit(ctx, id, txId, actor, body.reason);
    if (!r.ok) throw new HttpError(r.status, r.detail);
    deps.events.creditSettled({ creditId: id, how: 'attached', transactionId: txId, by: actor.by });
    const found = await getCreditWithAudit(ctx, id);
    return ok(c, found ? { ...creditToPublic(found.credit, ctx.rules.step), audit: found.audit } : { credit_id: id });
  });

  app.post('/credits/:id/dismiss', async (c) => {
    const body = validate(reasonBody, await readJson(c));
    const id = parseCreditId(c.req.param('id'));
    if (!id) throw new HttpError(404, 'credit not found');
    const r = await dismissCredit(ctx, id, actor, body.reason);
    if (!r.ok) throw new HttpError(r.status, r.detail);
    deps.events.creditSettled({ creditId: id, how: 'dismissed', by: actor.by });
    const found = await getCreditWithAudit(ctx, id);
    return ok(c, found ? { ...creditToPublic(found.credit, ctx.rules.step), audit: found.audit } : { credit_id: id });
  });

  app.get('/transactions', async (c) => {
    const page = pageQuery(c);
    const state = oneOf('state', c.req.query('state'), ['pending', 'confirmed', 'cancelled'] as const);
    const rawCard = c.req.query('card');
    let card: string | undefined;
    if (rawCard !== undefined && rawCard !== '') {
      if (!/^\d{4}$/.test(rawCard)) throw new HttpError(400, 'card: expected 4 digits');
      card = rawCard; // a transaction made without any card never has 4 digits as its card: it simply does not match
    }
    const rawAmount = c.req.query('amount');
    let amountTiyin: number | undefined;
    if (rawAmount !== undefined && rawAmount !== '') {
      const t = /^\d{1,13}(\.\d{1,2})?$/.test(rawAmount) ? somToTiyinExact(Number(rawAmount)) : null;
      if (t === null || t <= 0) throw new HttpError(400, "amount: expected a positive number of so'm with at most two decimals");
      amountTiyin = t;
    }
    const q = { ...page, ...optional('state', state), ...optional('card', card), ...optional('amountTiyin', amountTiyin) };
    return ok(c, await paged(() => listTransactions(ctx, q)));
  });

  app.post('/transaction/:id/confirm', async (c) => {
    const body = validate(reasonBody, await readJson(c));
    const id = parseTransactionId(c.req.param('id'));
    if (!id) throw new HttpError(404, 'transaction not found');
    const r = await confirmManually(ctx, id, actor, body.reason);
    if (!r.ok) throw new HttpError(r.status, r.detail);
    deps.events.transactionConfirmedByHand({ transactionId: id, by: actor.by });
    const after = await getTransactionWithAttempts(ctx, id);
    if (!after) throw new HttpError(404, 'transaction not found');
    return ok(c, { ...toPublic(after.tx, ctx.rules.step, after.attempts), audit: await auditOf(ctx, 'tx', id) });
  });

  return app;
}

function optional<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}
