// Reserve a unique amount and create the pending transaction: one script call, so two
// concurrent requests can never get the same amount on the same card.
import { createHash, randomUUID } from 'node:crypto';
import { IMPLICIT_CARD } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import { somToTiyin, stepTiyin } from '../money/amount.js';
import type { TxContext } from './context.js';
import { getTransaction } from './get.js';
import type { Transaction } from './record.js';

export interface CreateRequest {
  amountSom: number;
  /** A configured last-4; omitted: the least-loaded card. */
  card?: string;
  metadata?: unknown;
  idempotencyKey?: string;
}

export type CreateResult =
  | { kind: 'created'; tx: Transaction }
  | { kind: 'existing'; tx: Transaction }
  | { kind: 'idempotency_conflict'; tx: Transaction }
  | { kind: 'full' };

function idempotencyName(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** The candidate cards in the order the request allows. */
function candidateCards(ctx: TxContext, card?: string): string[] {
  if (card !== undefined) return [card];
  return ctx.rules.cards.length > 0 ? ctx.rules.cards : [IMPLICIT_CARD];
}

export async function createTransaction(ctx: TxContext, req: CreateRequest): Promise<CreateResult> {
  const { keys, rules } = ctx;
  const cards = candidateCards(ctx, req.card);
  const id = randomUUID();
  const idem = req.idempotencyKey !== undefined ? idempotencyName(req.idempotencyKey) : '';
  const requested = somToTiyin(req.amountSom);
  const scriptKeys = [keys.tx(id), keys.idempotency(idem || '-'), keys.deadlines, keys.cardLoad];
  for (const c of cards) scriptKeys.push(keys.amounts(c), keys.owners(c));
  const reply = (await runScript(ctx.redis, 'reserve', scriptKeys, [
    id,
    requested,
    stepTiyin(rules.step),
    rules.direction === 'up' ? 1 : -1,
    rules.limit,
    ctx.now(),
    rules.ttlMs,
    req.metadata === undefined ? '' : JSON.stringify(req.metadata),
    idem,
    req.card === undefined ? '1' : '0',
    ...cards,
  ])) as string[];

  if (reply[0] === 'full') return { kind: 'full' };
  if (reply[0] === 'created') {
    // Built from the script's reply: creating costs one round trip.
    const now = Number(reply[3]) - rules.ttlMs;
    const tx: Transaction = {
      id, amountTiyin: Number(reply[1]), requestedTiyin: requested, card: reply[2] as string,
      state: 'pending', createdAt: now, expiresAt: Number(reply[3]),
      webhookState: 'pending', webhookAttempts: 0, webhookRound: 0,
      ...(req.metadata !== undefined ? { metadata: req.metadata } : {}),
    };
    return { kind: 'created', tx };
  }
  const txId = reply[1] as string;
  const tx = await getTransaction(ctx, txId);
  if (!tx) throw new Error(`transaction ${txId} vanished while its idempotency key lived`);
  // The same key with a different request is a client bug, not a retry.
  const same = tx.requestedTiyin === requested && (req.card === undefined || req.card === tx.card);
  return same ? { kind: 'existing', tx } : { kind: 'idempotency_conflict', tx };
}
