// GET/POST /cards, GET/PATCH/DELETE /cards/:last4 (auth): thin wrappers over registry.ts,
// the same operations `paycue cards …` runs.
import { apiActor } from '../../credits/audit.js';
import { Hono, type Context } from 'hono';
import type { AppDeps } from '../deps.js';
import { readJson, validate } from '../json-body.js';
import { HttpError, ok } from '../respond.js';
import { cardPatchSchema, LAST4, mask, newCardSchema, toPublicCard } from '../../cards/card.js';
import { addCard, getCard, listCards, removeCard, updateCard } from '../../cards/registry.js';

export interface CardRouteDeps extends AppDeps {
  /** Called after a change, so this daemon sees it at once (others hear the pub/sub ping). */
  onCardsChanged?: () => Promise<void>;
}

function last4Of(c: Context): string {
  const last4 = c.req.param('last4') ?? '';
  if (!LAST4.test(last4)) throw new HttpError(400, 'card id must be the last 4 digits of the card number');
  return last4;
}

export function cardRoutes(deps: CardRouteDeps) {
  const { ctx, log } = deps;
  const changed = async () => deps.onCardsChanged?.();
  const app = new Hono();

  app.get('/cards', async (c) => ok(c, { cards: (await listCards(ctx)).map(toPublicCard) }));

  app.post('/cards', async (c) => {
    const input = validate(newCardSchema, await readJson(c));
    const r = await addCard(ctx, input);
    if (r.kind === 'exists') throw new HttpError(409, `a card ending in ${input.number.slice(-4)} is already registered`);
    await changed();
    log.info({ card: r.card.last4, number: mask(input.number), active: r.card.active }, 'card added');
    return ok(c, toPublicCard(r.card), 201);
  });

  app.get('/cards/:last4', async (c) => {
    const card = await getCard(ctx, last4Of(c));
    if (!card) throw new HttpError(404, 'card not found');
    return ok(c, toPublicCard(card));
  });

  app.patch('/cards/:last4', async (c) => {
    const last4 = last4Of(c);
    const patch = validate(cardPatchSchema, await readJson(c));
    const r = await updateCard(ctx, last4, patch);
    if (r.kind === 'unknown') throw new HttpError(404, 'card not found');
    await changed();
    log.info({ card: last4, fields: Object.keys(patch) }, 'card changed');
    return ok(c, toPublicCard(r.card));
  });

  app.delete('/cards/:last4', async (c) => {
    const last4 = last4Of(c);
    const force = ['1', 'true', 'yes'].includes((c.req.query('force') ?? '').toLowerCase());
    const r = await removeCard(ctx, last4, force, deps.cards?.isConfigured(last4) ?? false, apiActor(deps.settings.username));
    if (r.kind === 'unknown') throw new HttpError(404, 'card not found');
    if (r.kind === 'pending') {
      throw new HttpError(409, `card ${last4} has ${r.pending} pending transaction(s); wait for them, or remove with ?force=true to cancel them (with cancel webhooks)`);
    }
    await changed();
    log.info({ card: last4, cancelled: r.cancelled.length }, 'card removed');
    return ok(c, { last4, removed: true, cancelled: r.cancelled });
  });

  return app;
}
