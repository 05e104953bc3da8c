// POST /sandbox/credit: a simulated bank message, through exactly the path a real one takes.
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { readJson, validate } from '../json-body.js';
import { HttpError, ok } from '../respond.js';

/** `20001` or `20000.01` so'm → tiyin, from the number's decimal digits (no float arithmetic). */
export function somToTiyinExact(v: number): number | null {
  const m = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(String(v));
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

const textForm = z.object({
  text: z.string().min(1, 'must not be empty').max(16_000),
  sender: z.number().int().positive().optional(),
  message_id: z.union([z.string().min(1).max(100), z.number().int()]).optional(),
});

const amountForm = z.object({
  amount: z.number({ error: 'is required (so\'m), or give "text"' }),
  card: z.string().regex(/^\d{4}$/, 'must be 4 digits').optional(),
  message_id: z.union([z.string().min(1).max(100), z.number().int()]).optional(),
});

export function sandboxRoutes(deps: AppDeps) {
  const app = new Hono();
  const defaultSender = (deps.settings.bots[0] as { id: number }).id;
  app.post('/sandbox/credit', async (c) => {
    const body = await readJson(c);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'body must be a JSON object');
    // A given message_id lets a caller replay the same "message" and see the deduplication.
    const keyOf = (sender: number, id: string | number | undefined) => `sandbox:${sender}:${id ?? randomUUID()}`;
    if ('text' in body) {
      const b = validate(textForm, body);
      const sender = b.sender ?? defaultSender;
      return ok(c, await deps.processor.processFromSender(b.text, sender, keyOf(sender, b.message_id)));
    }
    const b = validate(amountForm, body);
    const tiyin = somToTiyinExact(b.amount);
    if (tiyin === null || tiyin <= 0) throw new HttpError(400, "amount: must be a positive number of so'm with at most two decimals");
    const out = await deps.processor.processCredit(
      { amountTiyin: tiyin, last4: b.card ?? null, bot: 'sandbox' },
      keyOf(defaultSender, b.message_id),
    );
    return ok(c, out);
  });
  return app;
}
