// Reserve a unique amount and create the pending transaction: one script call, so two
// concurrent requests can never get the same amount on the same card.
import { createHash, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { IMPLICIT_CARD } from '../redis/keys.js';
import type { ReserveReply, ReserveRequest } from '../redis/commands.js';
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
  /** Pay page options (success_url, cancel_url, lang), stored with the transaction. */
  page?: Record<string, string>;
}

export type CreateResult =
  | { kind: 'created'; tx: Transaction }
  | { kind: 'existing'; tx: Transaction }
  | { kind: 'idempotency_conflict'; tx: Transaction }
  | { kind: 'full' };

function idempotencyName(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** Requests queued while reservation calls are in flight go out together in the next one. */
const MAX_BATCH = 64;
/** Two calls in the pipe keep Redis busy while the next batch forms; more only makes batches smaller. */
const MAX_IN_FLIGHT = 2;

interface Queued extends ReserveRequest {
  resolve: (reply: ReserveReply) => void;
  reject: (err: unknown) => void;
}

/**
 * At most MAX_IN_FLIGHT reservation calls at a time per connection; whatever arrives meanwhile
 * is sent as one batch when one returns. A lone request goes out at once, so this adds no
 * latency when idle and saves round trips (and Redis and Node CPU) under load.
 */
class ReserveBatcher {
  private queue: Queued[] = [];
  private inFlight = 0;

  constructor(private readonly ctx: TxContext) {}

  /** The universe of cards every call names (implicit card without CARDS). */
  get cards(): string[] {
    return this.ctx.rules.cards.length > 0 ? this.ctx.rules.cards : [IMPLICIT_CARD];
  }

  reserve(q: ReserveRequest): Promise<ReserveReply> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...q, resolve, reject });
      if (this.inFlight < MAX_IN_FLIGHT) this.flush();
    });
  }

  private flush(): void {
    const batch = this.queue.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    this.inFlight++;
    const { rules } = this.ctx;
    const settings = {
      stepTiyin: stepTiyin(rules.step), direction: rules.direction, limit: rules.limit, ttlMs: rules.ttlMs, graceMs: rules.expiry.graceMs, cards: this.cards,
    };
    this.ctx.commands
      .reserve(settings, batch)
      .then((replies) => batch.forEach((q, i) => q.resolve(replies[i] as ReserveReply)))
      .catch((err: unknown) => batch.forEach((q) => q.reject(err)))
      .finally(() => {
        this.inFlight--;
        this.flush();
      });
  }
}

const batchers = new WeakMap<TxContext, ReserveBatcher>();

function batcherFor(ctx: TxContext): ReserveBatcher {
  let b = batchers.get(ctx);
  if (!b) {
    b = new ReserveBatcher(ctx);
    batchers.set(ctx, b);
  }
  return b;
}

export async function createTransaction(ctx: TxContext, req: CreateRequest): Promise<CreateResult> {
  const { rules } = ctx;
  const batcher = batcherFor(ctx);
  if (req.card !== undefined && !batcher.cards.includes(req.card)) throw new Error(`card ${req.card} is not configured`);
  const id = randomUUID();
  const idemName = req.idempotencyKey !== undefined ? idempotencyName(req.idempotencyKey) : '';
  const requested = somToTiyin(req.amountSom);
  const reply = await batcher.reserve({
    txId: id,
    requestedTiyin: requested,
    metadata: req.metadata === undefined ? '' : JSON.stringify(req.metadata),
    idem: idemName,
    ...(req.card !== undefined ? { card: req.card } : {}),
    page: req.page === undefined ? '' : JSON.stringify(req.page),
  });

  if (reply.kind === 'full') return { kind: 'full' };
  if (reply.kind === 'created') {
    // Built from the script's reply: creating costs no extra round trip.
    const tx: Transaction = {
      id, amountTiyin: reply.amountTiyin, requestedTiyin: requested, card: reply.card,
      state: 'pending', createdAt: reply.expiresAt - rules.ttlMs, expiresAt: reply.expiresAt,
      webhookState: 'pending', webhookAttempts: 0, webhookRound: 0, idem: idemName,
      ...(req.metadata !== undefined ? { metadata: req.metadata } : {}),
      ...(req.page !== undefined ? { page: req.page } : {}),
    };
    return { kind: 'created', tx };
  }
  const tx = await getTransaction(ctx, reply.txId, { forWrite: true });
  if (!tx) throw new Error(`transaction ${reply.txId} vanished while its idempotency key lived`);
  // The same key with a different request is a client bug, not a retry (metadata compared as
  // values: the same object with its keys in another order is the same request).
  const same =
    tx.requestedTiyin === requested && (req.card === undefined || req.card === tx.card) && isDeepStrictEqual(tx.metadata, req.metadata);
  return same ? { kind: 'existing', tx } : { kind: 'idempotency_conflict', tx };
}
