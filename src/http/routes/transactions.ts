// POST /create/transaction/, GET /transaction/:id, POST /transaction/:id/cancel (README: HTTP API).
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_SOM, publicAmount } from '../../money/amount.js';
import { createTransaction } from '../../transactions/create.js';
import { cancelTransaction } from '../../transactions/cancel.js';
import { getTransaction, getTransactionWithAttempts } from '../../transactions/get.js';
import { parseTransactionId } from '../../transactions/id.js';
import { publicCard, toPublic } from '../../transactions/record.js';
import { auditOf } from '../../credits/audit.js';
import type { AppDeps } from '../deps.js';
import { apiActor } from '../../credits/audit.js';
import { readJson, validate } from '../json-body.js';
import { HttpError, ok } from '../respond.js';

const METADATA_MAX_BYTES = 2048;

const amountSchema = z.unknown().transform((v, ctx) => {
  const bad = (message: string) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  if (v === undefined || v === null) return bad('is required');
  if (typeof v !== 'number') return bad(`must be a number of so'm, not ${Array.isArray(v) ? 'an array' : typeof v}`);
  if (!Number.isFinite(v)) return bad('must be a finite number');
  if (!Number.isInteger(v)) return bad("must be a whole number of so'm");
  if (v <= 0) return bad('must be positive');
  if (v > MAX_SOM) return bad(`must be at most ${MAX_SOM} so'm`);
  return v;
});

const pageUrl = z
  .string({ error: 'must be an http:// or https:// URL' })
  .max(1000, 'must be at most 1000 characters')
  .refine((v) => {
    try {
      return ['http:', 'https:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL')
  .optional();

function createSchema(cardList: () => string[]) {
  return z.object(
    {
      amount: amountSchema,
      card: z
        .unknown()
        .optional()
        .transform((v, ctx) => {
          if (v === undefined || v === null) return undefined;
          const cards = cardList();
          if (typeof v !== 'string' || !cards.includes(v)) {
            ctx.addIssue({
              code: 'custom',
              message: cards.length === 0 ? 'unknown card: this daemon has no CARDS configured' : `unknown card; configured: ${cards.join(', ')}`,
            });
            return z.NEVER;
          }
          return v;
        }),
      metadata: z
        .unknown()
        .optional()
        .transform((v, ctx) => {
          if (v === undefined) return undefined;
          if (v === null || typeof v !== 'object' || Array.isArray(v)) {
            ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
            return z.NEVER;
          }
          if (Buffer.byteLength(JSON.stringify(v)) > METADATA_MAX_BYTES) {
            ctx.addIssue({ code: 'custom', message: `must be at most ${METADATA_MAX_BYTES} bytes as JSON` });
            return z.NEVER;
          }
          return v as Record<string, unknown>;
        }),
      // Pay page options (optional; stored with the transaction for the page).
      success_url: pageUrl,
      cancel_url: pageUrl,
      lang: z.enum(['uz', 'ru', 'en'], { error: 'must be uz, ru or en' }).optional(),
    },
    { error: 'body must be a JSON object' },
  );
}

export function transactionRoutes(deps: AppDeps) {
  const { ctx, events } = deps;
  const step = ctx.rules.step;
  const schema = createSchema(() => ctx.rules.cards);
  const app = new Hono();
  const payUrl = (id: string) => (deps.settings.publicUrl ? { pay_url: `${deps.settings.publicUrl}/pay/${id}` } : {});

  app.post('/create/transaction', async (c) => {
    const body = validate(schema, await readJson(c));
    const idem = c.req.header('idempotency-key');
    if (idem !== undefined && (idem.length === 0 || idem.length > 255)) {
      throw new HttpError(400, 'Idempotency-Key must be 1 to 255 characters');
    }
    if (body.card !== undefined && deps.cards && !deps.cards.isActive(body.card)) {
      throw new HttpError(400, `card: ${body.card} is disabled; it takes no new transactions`);
    }
    const page = {
      ...(body.success_url !== undefined ? { success_url: body.success_url } : {}),
      ...(body.cancel_url !== undefined ? { cancel_url: body.cancel_url } : {}),
      ...(body.lang !== undefined ? { lang: body.lang } : {}),
    };
    const r = await createTransaction(ctx, {
      amountSom: body.amount,
      ...(body.card !== undefined ? { card: body.card } : {}),
      ...(body.metadata !== undefined ? { metadata: body.metadata } : {}),
      ...(idem !== undefined ? { idempotencyKey: idem } : {}),
      ...(Object.keys(page).length > 0 ? { page } : {}),
    });
    if (r.kind === 'full') {
      events.noFreeAmount(body.amount, body.card ?? null);
      throw new HttpError(409, `no free amount within ${ctx.rules.limit} steps of ${body.amount} so'm; try again later`);
    }
    if (r.kind === 'idempotency_conflict') {
      throw new HttpError(409, 'Idempotency-Key was already used for a different request');
    }
    if (r.kind === 'created') events.transactionCreated({ id: r.tx.id, amountTiyin: r.tx.amountTiyin, card: publicCard(r.tx.card) });
    // A replay reports the state too: the transaction may have been paid or closed meanwhile.
    const { state, confirmed_at, cancelled_at, cancel_reason } = toPublic(r.tx, step);
    return ok(c, {
      amount: publicAmount(r.tx.amountTiyin, step),
      amount_tiyin: r.tx.amountTiyin,
      transaction_id: r.tx.id,
      card: publicCard(r.tx.card),
      expires_at: new Date(r.tx.expiresAt).toISOString(),
      state,
      ...(confirmed_at !== undefined ? { confirmed_at } : {}),
      ...(cancelled_at !== undefined ? { cancelled_at, cancel_reason } : {}),
      ...payUrl(r.tx.id),
    });
  });

  app.get('/transaction/:id', async (c) => {
    const id = parseTransactionId(c.req.param('id'));
    const found = id ? await getTransactionWithAttempts(ctx, id) : null;
    if (!found) throw new HttpError(404, 'transaction not found');
    return ok(c, { ...toPublic(found.tx, step, found.attempts), ...payUrl(found.tx.id), audit: await auditOf(ctx, 'tx', found.tx.id) });
  });

  app.post('/transaction/:id/cancel', async (c) => {
    const id = parseTransactionId(c.req.param('id'));
    const tx = id ? await getTransaction(ctx, id, { forWrite: true }) : null;
    if (!id || !tx) throw new HttpError(404, 'transaction not found');
    const outcome = await cancelTransaction(ctx, id, tx.card, 'cancelled', false, tx.idem, { actor: apiActor(deps.settings.username), why: 'cancelled through the API' });
    if (outcome !== 'cancelled') throw new HttpError(409, `transaction is no longer pending`);
    events.transactionCancelled(id);
    const after = await getTransactionWithAttempts(ctx, id);
    return ok(c, toPublic(after?.tx ?? tx, step, after?.attempts ?? []));
  });

  return app;
}
