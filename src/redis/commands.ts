// One typed function per Lua script (and the few plain commands that belong with them): the
// only place that knows each script's KEYS/ARGV order and the shape of its reply. Callers pass
// named fields and get typed outcomes back (BullMQ's Scripts class is the model).
import { Cluster } from 'ioredis';
import { connectionEpoch, isRedisRefusingWrites, isRedisUnavailable, type RedisConnection } from './client.js';
import { cursorFields, type CreditField, type TxField, type TxHash } from './fields.js';
import { redisKeys, WEBHOOK_GROUP, type RedisKeys } from './keys.js';
import { runScript } from './scripts.js';

/** Retries moved back onto the events stream per call. */
const REQUEUE_BATCH = 100;
/** Webhook attempts kept per transaction in its attempt log. */
const ATTEMPTS_KEPT = 50;

export interface ReserveSettings {
  stepTiyin: number;
  direction: 'up' | 'down';
  limit: number;
  ttlMs: number;
  /** PAYMENT_GRACE, kept on the record: every daemon then waits at least this long. */
  graceMs: number;
  /** Every card the call may reserve on (the implicit card when CARDS is empty). */
  cards: string[];
}

export interface ReserveRequest {
  txId: string;
  requestedTiyin: number;
  /** JSON text, '' for none. */
  metadata: string;
  /** Hashed Idempotency-Key, '' for none. */
  idem: string;
  /** A card from `cards`, or undefined for the least-loaded one. */
  card?: string;
  /** Pay page options as JSON, '' for none. */
  page: string;
}

export type ReserveReply =
  | { kind: 'created'; amountTiyin: number; card: string; expiresAt: number }
  | { kind: 'existing'; txId: string }
  | { kind: 'full' };

export type CancelOutcome = 'cancelled' | 'not_pending' | 'not_due' | 'held' | 'unknown';

/** The clock every script stamps and compares with: Redis's TIME plus `offsetMs`, which is 0
 * but in tests (they move time with it). Shared by every Commands of one context. */
export interface Clock {
  offsetMs: number;
}

/** How expiry decides that a deadline has passed (README "Expiry: by what has been seen"):
 * `seen`, the watermark the Telegram watcher publishes; `now` (sandbox, no bank chat), the clock. */
export interface ExpiryRule {
  mode: 'seen' | 'now';
  /** PAYMENT_GRACE: a deadline counts as passed only this long after it. */
  graceMs: number;
}

export interface ExpiryView {
  /** The shared clock, ms. */
  now: number;
  /** A deadline plus the grace at or before this may expire; null: nothing may (see `why`). */
  cutoff: number | null;
  why: '' | 'no_watcher' | 'not_seen';
  /** Transactions created before this are held (a bot's cursor began after them). */
  safeSince: number;
  /** The oldest deadline past its grace by the clock that the watermark has not reached. */
  waitingDeadline: number | null;
  /** Transactions due for expiry (a batch). */
  due: string[];
}

export interface CreditCall {
  messageKey: string;
  /** The transaction that holds the amount ('' when none does), its card and Idempotency-Key name. */
  owner: { txId: string; card: string; idem: string };
  amountTiyin: number;
  /** The caller's clock (the unmatched entry's time); the script stamps the records with the shared clock. */
  now: number;
  quarantineMs: number;
  keepMs: number;
  messageTtlSec: number;
  /** The credit as a JSON object, kept in the unmatched list when it confirms nothing. */
  entry: string;
  unmatchedCap: number;
  /** The credit record written in the same step. */
  record: {
    creditId: string;
    bot: string;
    last4: string | null;
    /** The bank's time of the message (ms). */
    receivedAt: number;
    text: string;
    /** An ambiguous message: recorded for review, never applied to a transaction. */
    review: boolean;
    keepMs: number;
    textKeepMs: number;
    /** Queue a `late_payment` event for a credit that arrives after its transaction was cancelled. */
    latePayment: boolean;
  };
}

export type CreditScriptResult = 'matched' | 'already_processed' | 'no_match' | 'late' | 'already_confirmed' | 'ambiguous' | 'stale';

export type CreditReply =
  | { result: 'already_processed'; previous: string; txId?: string; creditId?: string }
  | { result: Exclude<CreditScriptResult, 'already_processed'>; txId?: string; creditId?: string };

/** Who settled something by hand and why, with the audit entry to keep. */
export interface ManualAction {
  by: string;
  reason: string;
  /** The caller's clock, for the audit entry; closing a transaction is stamped with the shared clock. */
  now: number;
  /** JSON of the audit entry. */
  audit: string;
}

/** An audit entry (JSON) and how long the audit list is kept. */
export interface AuditNote {
  audit: string;
  auditKeepMs: number;
}

/** Settling a credit: its Telegram alert, if one went out, is edited to say so (`editAlert`). */
export type Settling = ManualAction & { editAlert: boolean };

export type AttachReply =
  | { result: 'attached'; receivedTiyin: number }
  | { result: 'credit_unknown' | 'tx_unknown' | 'stale' }
  | { result: 'credit_resolved'; kind: string }
  | { result: 'tx_not_pending'; state: string };
export type DismissReply = { result: 'dismissed' | 'unknown' } | { result: 'resolved'; kind: string };
export type ConfirmManualReply = { result: 'confirmed' | 'unknown' | 'stale' } | { result: 'not_pending'; state: string };

export interface AttemptCall {
  /** The consumer that made the attempt: only the entry's holder decides. */
  consumer: string;
  txId: string;
  action: string;
  entryId: string;
  success: boolean;
  /** The attempt as JSON, appended to the attempt log. */
  attempt: string;
  now: number;
  attemptsPerRound: number;
  retryAt: number;
  keepMs: number;
  /** The event is tracked on a credit record (late_payment), not a transaction. */
  onCredit?: boolean;
}

/** What a running daemon publishes about itself (`paycue status` runs in another process). */
export interface DaemonHeartbeat {
  version: string;
  pid: number;
  host: string;
  sandbox: boolean;
  telegramConnected: boolean;
  /** As /ready says it: up, down, connecting, degraded, disabled. */
  telegramState: string;
  /** True while a due transaction has waited too long for the watermark. */
  expiryHeld: boolean;
  /** How far the watermark is behind the clock (s); null: none published. */
  watermarkLagS: number | null;
  /** Unix ms of the newest bot message, or null. */
  lastBotMessageAt: number | null;
  /** The Telegram account's id and username, when connected once. */
  account: string | null;
  updatedAt: number;
}

export interface RedisServerInfo {
  version: string;
  maxmemoryPolicy: string;
  aofEnabled: boolean;
  rdbLastSaveOk: boolean;
  aofLastWriteOk: boolean;
}

export type AttemptDecision = 'delivered' | 'retry' | 'failed' | 'stale' | 'gone';
export type RedeliverResult = 'queued' | 'unknown' | 'not_decided' | 'in_progress';
export type LockRenewal = 'renewed' | 'retaken' | 'lost';

const nonEmpty = (s: string | null | undefined) => (s ? s : undefined);

/** Refuses acknowledged writes at once while too few replicas are connected (src/replicas/gate.ts),
 * and hears of every WAIT that fell short, so that the writes after it are refused at once too. */
export interface WriteGate {
  /** Throws ReplicasMissingError when writes must not be tried now. */
  admit(): void;
  fellShort(acked: number, wanted: number): void;
}

/** How many replicas must have a write before it is acknowledged, and how long to wait for them. */
export interface Durability {
  /** Read at every write: the requirement may change while the daemon runs (`paycue redis replicas set`). */
  replicas: number | (() => number);
  timeoutMs: number;
  /** The connection acknowledged writes and their WAIT go to: WAIT covers only its own
   * connection's writes, and blocks it, so reads use another (default: the same one). */
  writer?: RedisConnection;
  gate?: WriteGate;
}

/** A write the primary took but too few replicas confirmed in time: after a failover it could
 * be lost, so it is not acknowledged (the API answers 503; an Idempotency-Key retry is safe). */
export class NotReplicatedError extends Error {
  constructor(
    readonly acked: number,
    readonly wanted: number,
  ) {
    super(`NOREPLICAS only ${acked} of ${wanted} replicas confirmed the write in time`);
    this.name = 'NotReplicatedError';
  }
}

/** Who may move the cursors: the session lock's holder, for its account. */
export interface CursorFence {
  token: string;
  account: string;
}

/** A cursor write refused: this process no longer holds the Telegram session (or the cursors
 * belong to another account now). The read stops; nothing it did not decide is passed over. */
export class NotSessionHolderError extends Error {
  constructor() {
    super('this process no longer holds the Telegram session: the cursor was not moved');
    this.name = 'NotSessionHolderError';
  }
}

/** Refused before anything was sent: fewer replicas are connected than every write needs. */
export class ReplicasMissingError extends Error {
  constructor(
    /** Replicas known to be connected (null: unknown yet). */
    readonly connected: number | null,
    /** Replicas every write needs (null: the record could not be read yet). */
    readonly wanted: number | null,
  ) {
    super(
      wanted === null
        ? 'NOREPLICAS the replicas required are not known yet (the replica record is unread); nothing was written'
        : `NOREPLICAS ${connected ?? 'an unknown number'} of the ${wanted} required replicas connected; nothing was written`,
    );
    this.name = 'ReplicasMissingError';
  }
}

export class Commands {
  /** Where acknowledged writes and their WAIT go. */
  private readonly writer: RedisConnection;

  constructor(
    readonly redis: RedisConnection,
    readonly keys: RedisKeys,
    private readonly durability: Durability = { replicas: 0, timeoutMs: 0 },
    readonly clock: Clock = { offsetMs: 0 },
  ) {
    this.writer = durability.writer ?? redis;
  }

  /** The commands for the keys under `prefix`. */
  static forPrefix(redis: RedisConnection, prefix: string, durability?: Durability): Commands {
    return new Commands(redis, redisKeys(prefix), durability);
  }

  /** Replicas each acknowledged write needs now. */
  requiredReplicas(): number {
    const r = this.durability.replicas;
    return typeof r === 'function' ? r() : r;
  }

  /** Before an acknowledged write: refused at once (nothing sent) while replicas are missing.
   * Returns the write connection's epoch, for `replicated` to check the write and its WAIT went
   * to the same connection. */
  private admit(): number {
    this.durability.gate?.admit();
    return connectionEpoch(this.writer);
  }

  /**
   * WAIT until the writes made so far on the write connection reached the required replicas.
   * WAIT is per connection: on a Cluster it goes in one pipeline with a command on our slot, so
   * it runs on the primary (and the connection) that took the write.
   */
  private async replicated(o: { touch?: boolean; timeoutMs?: number; epoch?: number } = {}): Promise<void> {
    const replicas = this.requiredReplicas();
    const timeoutMs = o.timeoutMs ?? this.durability.timeoutMs;
    if (replicas === 0) {
      if (o.touch) await this.writer.set(this.keys.readyProbe, '1', 'PX', 10_000);
      return;
    }
    try {
      await this.waitFor(replicas, timeoutMs, o.touch ?? false);
      // The connection closed after the write (a failover: Sentinel's switch reconnects it to the
      // new primary): this WAIT ran there, covering nothing of the write, which may be lost.
      if (o.epoch !== undefined && connectionEpoch(this.writer) !== o.epoch) throw new NotReplicatedError(0, replicas);
    } catch (err) {
      if (err instanceof NotReplicatedError) this.durability.gate?.fellShort(err.acked, err.wanted);
      throw err;
    }
  }

  private async waitFor(replicas: number, timeoutMs: number, touch: boolean): Promise<void> {
    let acked: number;
    // `touch`: write first on this connection, so that WAIT covers everything the primary had
    // before it — also a record another connection wrote (an Idempotency-Key replay reads only).
    const first = await (touch
      ? this.writer.pipeline().set(this.keys.readyProbe, '1', 'PX', 10_000)
      : this.writer.pipeline().exists(this.keys.readyProbe)
    )
      .call('WAIT', replicas, timeoutMs)
      .exec()
      .catch((err: unknown) => [[err, null]] as [Error | null, unknown][]);
    const [firstErr] = first?.[0] ?? [null];
    // Refused (OOM, READONLY…) or unreachable: as it is. Anything else in the middle of a switch
    // (a redirect the pipeline could not follow): the write is not known to be replicated, a 503.
    if (firstErr && (isRedisUnavailable(firstErr) || isRedisRefusingWrites(firstErr))) throw firstErr;
    if (firstErr) {
      // A Cluster client follows a MOVED for a single command, but not inside this pipeline (its
      // WAIT ran on the old node): refresh the slot map, or a write connection that gets no other
      // traffic (writes refused meanwhile) would ask the old node for ever.
      if (this.writer instanceof Cluster && /^(MOVED|ASK)\b/.test(firstErr.message)) this.writer.refreshSlotsCache();
      throw new NotReplicatedError(0, replicas);
    }
    try {
      const [err, n] = first?.[1] ?? [new Error('WAIT gave no reply'), 0];
      if (err) throw err;
      acked = Number(n);
    } catch (err) {
      // The write was taken but nobody can say it is replicated (e.g. the node was demoted in a
      // failover: "WAIT cannot be used with replica instances"): not acknowledged, a 503.
      if (isRedisUnavailable(err)) throw err;
      throw new NotReplicatedError(0, replicas);
    }
    if (acked < replicas) throw new NotReplicatedError(acked, replicas);
  }

  /** Everything the primary holds now (a decided event about to be delivered) is on the
   * required replicas: a small write, then WAIT, on the write connection. */
  async confirmReplicated(timeoutMs?: number): Promise<void> {
    const epoch = this.admit();
    if (this.requiredReplicas() === 0) return;
    await this.replicated({ touch: true, epoch, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  }

  /** A short WAIT for the gate's own probe (no gate check: it is how a closed gate reopens). */
  async probeReplicas(replicas: number, timeoutMs: number): Promise<void> {
    await this.waitFor(replicas, timeoutMs, true);
  }

  /** Reserves an amount per request, in order, in one call. */
  async reserve(s: ReserveSettings, requests: ReserveRequest[]): Promise<ReserveReply[]> {
    const epoch = this.admit();
    const k = this.keys;
    const keys = [k.deadlines, k.cardLoad, k.cardsInactive];
    for (const c of s.cards) keys.push(k.amounts(c), k.owners(c));
    const args: (string | number)[] = [s.stepTiyin, s.direction === 'up' ? 1 : -1, s.limit, this.clock.offsetMs, s.ttlMs, s.graceMs, s.cards.length, ...s.cards];
    for (const r of requests) {
      keys.push(k.tx(r.txId), k.idempotency(r.idem || '-'));
      args.push(r.txId, r.requestedTiyin, r.metadata, r.idem, r.card === undefined ? 0 : s.cards.indexOf(r.card) + 1, r.page);
    }
    keys.push(k.txIndex);
    const flat = (await runScript(this.writer, 'reserve', keys, args)) as string[];
    // A replay (`existing`) waits too: its transaction may be the one a replica never confirmed
    // (written by another connection: hence the touch, so WAIT has something of ours to wait on).
    if (flat.some((v, i) => i % 4 === 0 && v === 'existing')) await this.replicated({ touch: true, epoch });
    else if (flat.some((v, i) => i % 4 === 0 && v === 'created')) await this.replicated({ epoch });
    return requests.map((_, i): ReserveReply => {
      const [kind, a, b, c] = flat.slice(i * 4, i * 4 + 4) as [string, string, string, string];
      if (kind === 'created') return { kind, amountTiyin: Number(a), card: b, expiresAt: Number(c) };
      if (kind === 'existing') return { kind, txId: a };
      return { kind: 'full' };
    });
  }

  /** pending → cancelled with its `cancel` event; `onlyIfDue` for expiry: a no-op unless the
   * deadline has passed by `expiry`'s rule (`held` for one a person must look at). */
  async cancel(a: {
    txId: string;
    card: string;
    /** The transaction's Idempotency-Key name ('' for none): the key then expires with the record. */
    idem: string;
    reason: 'expired' | 'cancelled';
    onlyIfDue: boolean;
    expiry: ExpiryRule;
    quarantineMs: number;
    keepMs: number;
    /** JSON of the audit entry of a cancel someone asked for ('' for an expiry). */
    audit?: string;
  }): Promise<CancelOutcome> {
    const epoch = this.admit();
    const k = this.keys;
    const reply = (await runScript(
      this.writer,
      'cancel',
      [
        k.tx(a.txId), k.deadlines, k.cardLoad, k.quarantine, k.events, k.amounts(a.card), k.owners(a.card), k.idempotency(a.idem || '-'),
        k.txState('cancelled'), k.audit('tx', a.txId), k.cursor, k.alertOutbox,
      ],
      [
        a.txId, this.clock.offsetMs, a.reason, a.quarantineMs, a.keepMs, a.onlyIfDue ? '1' : '0', k.payChannel, a.audit ?? '',
        a.expiry.mode, a.expiry.graceMs,
      ],
      { transaction_id: a.txId },
    )) as string[];
    if (reply[0] === 'cancelled') await this.replicated({ epoch });
    // "No longer pending" is an answer too: only once what it saw is on the replicas.
    else if (reply[0] === 'not_pending') await this.replicated({ touch: true, epoch });
    return reply[0] as CancelOutcome;
  }

  /** Applies one bank credit to the amount's owner, once per message key. */
  async credit(a: CreditCall): Promise<CreditReply> {
    const epoch = this.admit();
    const k = this.keys;
    const r = a.record;
    const { txId, card, idem } = a.owner;
    const reply = (await runScript(
      this.writer,
      'credit',
      [
        k.message(a.messageKey), k.tx(txId || '-'), k.deadlines, k.cardLoad, k.quarantine, k.events, k.amounts(card), k.owners(card),
        k.unmatched, k.idempotency(idem || '-'),
        k.credit(r.creditId), k.creditsAll, k.creditsOpen, k.creditsResolved, k.creditsText, k.alertOutbox, k.txState('confirmed'),
      ],
      [
        txId, a.amountTiyin, this.clock.offsetMs, a.quarantineMs, a.keepMs, a.messageTtlSec, a.entry, a.unmatchedCap,
        r.creditId, r.bot, r.last4 ?? '', r.receivedAt, r.text, r.review ? '1' : '0', r.keepMs, r.textKeepMs, r.latePayment ? '1' : '0',
        a.messageKey, k.payChannel,
      ],
      { ...(txId ? { transaction_id: txId } : {}), credit_id: r.creditId },
    )) as string[];
    const result = reply[0] as CreditScriptResult;
    // A repeat answers as the first time did: only once that is on the replicas too (the first
    // answer may have been a 503 whose write a failover would still drop).
    if (result === 'already_processed') await this.replicated({ touch: true, epoch });
    else if (result !== 'stale') await this.replicated({ epoch });
    if (result === 'already_processed') {
      const [previous = '', first, credit] = (reply[1] ?? '').split('|');
      return { result, previous, ...(first ? { txId: first } : {}), ...(credit ? { creditId: credit } : {}) };
    }
    const id = nonEmpty(reply[1]);
    const credit = nonEmpty(reply[2]);
    return { result, ...(id ? { txId: id } : {}), ...(credit ? { creditId: credit } : {}) };
  }

  /** The keys of a transaction a hand-made confirm touches, in the scripts' order. */
  private byHandKeys(txId: string, card: string, idem: string): string[] {
    const k = this.keys;
    return [
      k.tx(txId), k.deadlines, k.cardLoad, k.quarantine, k.events, k.amounts(card), k.owners(card), k.idempotency(idem || '-'),
      k.txState('confirmed'), k.audit('tx', txId),
    ];
  }

  /** Attaches an open credit to a pending transaction, confirming it; one wins of racing calls. */
  async attach(a: { creditId: string; txId: string; card: string; idem: string; quarantineMs: number; keepMs: number; creditKeepMs: number } & Settling): Promise<AttachReply> {
    const epoch = this.admit();
    const k = this.keys;
    const [result, extra = ''] = (await runScript(
      this.writer,
      'attach',
      [k.credit(a.creditId), k.creditsOpen, k.creditsResolved, k.audit('credit', a.creditId), k.alertOutbox, ...this.byHandKeys(a.txId, a.card, a.idem)],
      [a.creditId, a.txId, a.card, this.clock.offsetMs, a.quarantineMs, a.keepMs, a.creditKeepMs, a.by, a.reason, a.audit, k.payChannel, a.editAlert ? '1' : '0'],
      { transaction_id: a.txId, credit_id: a.creditId },
    )) as string[];
    if (result === 'attached') await this.replicated({ epoch });
    else if (result === 'credit_resolved' || result === 'tx_not_pending') await this.replicated({ touch: true, epoch });
    if (result === 'credit_resolved') return { result, kind: extra };
    if (result === 'tx_not_pending') return { result, state: extra };
    if (result === 'attached') return { result, receivedTiyin: Number(extra) };
    return { result: result as 'credit_unknown' | 'tx_unknown' | 'stale' };
  }

  /** Settles an open credit without a transaction. */
  async dismiss(a: { creditId: string; creditKeepMs: number } & Settling): Promise<DismissReply> {
    const epoch = this.admit();
    const k = this.keys;
    const [result, extra = ''] = (await runScript(
      this.writer,
      'dismiss',
      [k.credit(a.creditId), k.creditsOpen, k.creditsResolved, k.audit('credit', a.creditId), k.alertOutbox],
      [a.creditId, a.now, a.creditKeepMs, a.by, a.reason, a.audit, a.editAlert ? '1' : '0'],
      { credit_id: a.creditId },
    )) as string[];
    if (result === 'dismissed') await this.replicated({ epoch });
    else if (result === 'resolved') await this.replicated({ touch: true, epoch });
    if (result === 'resolved') return { result, kind: extra };
    return { result: result as 'dismissed' | 'unknown' };
  }

  /** pending → confirmed by hand (resolution `manual`). */
  async confirmManual(a: { txId: string; card: string; idem: string; quarantineMs: number; keepMs: number } & ManualAction): Promise<ConfirmManualReply> {
    const epoch = this.admit();
    const k = this.keys;
    const [result, extra = ''] = (await runScript(
      this.writer,
      'confirm-manual',
      this.byHandKeys(a.txId, a.card, a.idem),
      [a.txId, a.card, this.clock.offsetMs, a.quarantineMs, a.keepMs, a.by, a.reason, a.audit, k.payChannel],
      { transaction_id: a.txId },
    )) as string[];
    if (result === 'confirmed') await this.replicated({ epoch });
    else if (result === 'not_pending') await this.replicated({ touch: true, epoch });
    if (result === 'not_pending') return { result, state: extra };
    return { result: result as 'confirmed' | 'unknown' | 'stale' };
  }

  /** The same fields of many hashes, in one call (null for a missing hash). */
  async rows(keys: string[], fields: string[]): Promise<(Record<string, string> | null)[]> {
    if (keys.length === 0) return [];
    const raw = (await runScript(this.redis, 'rows', keys, fields)) as unknown as (string | null)[][];
    return raw.map((vals) => {
      if (vals.every((v) => v === null)) return null;
      const out: Record<string, string> = {};
      fields.forEach((f, i) => {
        const v = vals[i];
        if (v !== null && v !== undefined) out[f] = v;
      });
      return out;
    });
  }

  /** A hash; `forWrite`: on the write connection (see getTransaction). */
  hash(key: string, forWrite: boolean): Promise<Record<string, string>> {
    return (forWrite ? this.writer : this.redis).hgetall(key);
  }

  /** Which transaction holds `amountTiyin` on each of `cards` ('' for none), in one round trip.
   * Read where the credit's script will run: a stale "nobody" would decide no_match for good. */
  async owners(cards: string[], amountTiyin: number): Promise<string[]> {
    const amount = String(amountTiyin);
    if (cards.length === 1) return [(await this.writer.hget(this.keys.owners(cards[0] as string), amount)) ?? ''];
    const pipe = this.writer.pipeline();
    for (const c of cards) pipe.hget(this.keys.owners(c), amount);
    return ((await pipe.exec()) ?? []).map((r) => (r[1] as string | null) ?? '');
  }

  /** What expiry may cancel now (a batch, after skipping `skip` due ones), by the watermark. */
  async expiryDue(rule: ExpiryRule, batch: number, skip = 0): Promise<ExpiryView> {
    const k = this.keys;
    const r = (await runScript(this.redis, 'expiry-due', [k.deadlines, k.cursor], [rule.mode, rule.graceMs, this.clock.offsetMs, batch, skip])) as string[];
    const [now, cutoff, why, since, waiting, ...due] = r as [string, string, string, string, string, ...string[]];
    return {
      now: Number(now),
      cutoff: cutoff === '' ? null : Number(cutoff),
      why: why as ExpiryView['why'],
      safeSince: Number(since),
      waitingDeadline: waiting === '' ? null : Number(waiting),
      due,
    };
  }

  /** Moves a bot's observation watermark forward, if `token` holds the Telegram session lock;
   * null when refused (the lock or the cursors are another's). */
  async watermarkAdvance(a: { token: string; account: string; botId: number; seenThrough: number; bots: number[] }): Promise<number | null> {
    const k = this.keys;
    const r = Number(
      await runScript(this.redis, 'watermark-advance', [k.cursor, k.sessionLock], [a.token, a.account, String(a.botId), Math.floor(a.seenThrough), a.bots.join(',')]),
    );
    return r < 0 ? null : r;
  }

  /** The shared clock (Redis TIME plus the test offset), unix ms. */
  async clockNow(): Promise<number> {
    return (await this.serverTimeMs()) + this.clock.offsetMs;
  }

  /** Quarantines that have ended by `now`, as opaque members for `release`. */
  endedQuarantines(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.quarantine, '-inf', now, 'LIMIT', 0, limit);
  }

  /** Ends one quarantine; false when a racing sweeper already did. */
  async release(member: string): Promise<boolean> {
    const [card, amount, txid] = member.split('|') as [string, string, string];
    const k = this.keys;
    const n = await runScript(this.redis, 'release', [k.quarantine, k.amounts(card), k.owners(card), k.cardLoad], [member, amount, txid, card]);
    return Number(n) === 1;
  }

  /** Records one webhook attempt and decides: delivered, a retry at `retryAt`, or failed. */
  async attemptResult(a: AttemptCall): Promise<{ decision: AttemptDecision; attempts: number }> {
    const k = this.keys;
    const [decision, attempts] = (await runScript(
      this.redis,
      'attempt-result',
      // A `late_payment` event is tracked on its credit record (`txId` is then the credit's id).
      a.onCredit
        ? [k.credit(a.txId), k.creditAttempts(a.txId), k.events, k.retries, k.failed, k.alertFailures, k.alertOutbox]
        : [k.tx(a.txId), k.attempts(a.txId), k.events, k.retries, k.failed, k.alertFailures, k.alertOutbox],
      [
        a.txId, a.action, a.entryId, WEBHOOK_GROUP, a.success ? 'ok' : 'fail', a.attempt, a.now, a.attemptsPerRound, a.retryAt, a.keepMs,
        ATTEMPTS_KEPT, a.consumer,
      ],
      a.onCredit ? { credit_id: a.txId } : { transaction_id: a.txId },
    )) as [AttemptDecision, number];
    return { decision, attempts: Number(attempts) };
  }

  /** Moves retries due by `now` back onto the events stream; returns how many. */
  async requeueDue(now: number): Promise<number> {
    return Number(await runScript(this.redis, 'requeue-due', [this.keys.retries, this.keys.events], [now, REQUEUE_BATCH]));
  }

  /** A fresh round of delivery for a decided event (same webhook-id): a transaction's confirm or
   * cancel, or with `onCredit` the late_payment event of the credit `id`. */
  async redeliver(a: { id: string; force: boolean; onCredit: boolean } & AuditNote): Promise<RedeliverResult> {
    const k = this.keys;
    const { id } = a;
    // A credit names its transaction once, when recorded: reading it first races nothing.
    const keys = a.onCredit
      ? [k.credit(id), k.events, k.failed, k.retries, k.audit('credit', id), k.tx((await this.redis.hget(k.credit(id), 'tx' satisfies CreditField)) || '-')]
      : [k.tx(id), k.events, k.failed, k.retries, k.audit('tx', id)];
    const reply = (await runScript(this.redis, 'redeliver', keys, [id, a.force ? '1' : '0', a.onCredit ? 'credit' : 'tx', a.audit, a.auditKeepMs], a.onCredit ? { credit_id: id } : { transaction_id: id })) as string[];
    return reply[0] as RedeliverResult;
  }

  /** Hands an unfinished delivery back to the queue, if `consumer` still holds the entry. */
  async requeue(entryId: string, txId: string, action: string, consumer: string): Promise<boolean> {
    return Number(await runScript(this.redis, 'requeue', [this.keys.events], [entryId, WEBHOOK_GROUP, txId, action, consumer])) === 1;
  }

  /** Resets the idle time of `consumer`'s in-flight entries that it still holds (one taken
   * over meanwhile stays with its new holder); returns how many. */
  async heartbeat(consumer: string, entryIds: string[]): Promise<number> {
    if (entryIds.length === 0) return 0;
    return Number(await runScript(this.redis, 'heartbeat', [this.keys.events], [WEBHOOK_GROUP, consumer, ...entryIds]));
  }

  /** The Idempotency-Key name a transaction was created with ('' for none). */
  async idemOf(txId: string): Promise<string> {
    return (await this.writer.hget(this.keys.tx(txId), 'idem' satisfies TxField)) ?? '';
  }

  /** An open credit's alert went out as Telegram message `messageId` (see alert-sent.lua). */
  async alertSent(entryId: string, creditId: string, messageId: number): Promise<void> {
    await runScript(this.redis, 'alert-sent', [this.keys.credit(creditId), this.keys.alertOutbox], [entryId, messageId, creditId]);
  }

  /** Removes a webhook consumer that holds nothing; false when it still has pending entries. */
  async leaveGroup(consumer: string): Promise<boolean> {
    return Number(await runScript(this.redis, 'leave-group', [this.keys.events], [WEBHOOK_GROUP, consumer])) === 1;
  }

  // --- Card registry (last-4 → card JSON, and the set of cards taking no new reservations).

  async cardAdd(last4: string, json: string, active: boolean): Promise<'added' | 'exists'> {
    const k = this.keys;
    return (await runScript(this.redis, 'card-add', [k.cards, k.cardsInactive], [last4, json, active ? '1' : '0', k.cardsChannel])) as 'added' | 'exists';
  }

  /** Replaces a card's JSON if it is still `expected` (a concurrent edit is a conflict). */
  async cardUpdate(last4: string, expected: string, json: string, active: boolean): Promise<'updated' | 'unknown' | 'conflict'> {
    const k = this.keys;
    return (await runScript(this.redis, 'card-update', [k.cards, k.cardsInactive], [last4, expected, json, active ? '1' : '0', k.cardsChannel])) as
      | 'updated'
      | 'unknown'
      | 'conflict';
  }

  /** Removes a card with no pending transactions (`configured`: it is in CARDS, and stays usable). */
  async cardRemove(last4: string, configured: boolean): Promise<{ result: 'removed' | 'unknown' } | { result: 'pending'; pending: number }> {
    const k = this.keys;
    const r = (await runScript(this.redis, 'card-remove', [k.cards, k.cardsInactive, k.cardLoad], [last4, k.cardsChannel, configured ? '1' : '0'])) as [string, number?];
    return r[0] === 'pending' ? { result: 'pending', pending: Number(r[1]) } : { result: r[0] as 'removed' | 'unknown' };
  }

  /** A transaction's hash and its registered card's JSON ('' when none), in one round trip. */
  async payStatus(txId: string): Promise<{ tx: TxHash; card: string } | null> {
    const r = (await runScript(this.redis, 'pay-status', [this.keys.tx(txId), this.keys.cards], [])) as [string[], string] | [];
    if (r.length === 0) return null;
    const tx: Record<string, string> = {};
    for (let i = 0; i + 1 < r[0].length; i += 2) tx[r[0][i] as string] = r[0][i + 1] as string;
    return { tx, card: r[1] };
  }

  // --- Telegram catch-up cursor: a hash of bot id → highest message id finished with.

  /** Ties the cursors to the logged-in account; true when another account's were dropped.
   * Throws NotSessionHolderError unless `token` holds the Telegram session lock. */
  async cursorBind(accountId: string, token: string): Promise<boolean> {
    const r = Number(await runScript(this.redis, 'cursor-bind', [this.keys.cursor, this.keys.sessionLock], [accountId, token]));
    if (r < 0) throw new NotSessionHolderError();
    return r === 1;
  }

  async cursorGet(botId: number): Promise<string | null> {
    return this.redis.hget(this.keys.cursor, cursorFields.cursor(botId));
  }

  /** Sets the first cursor unless one appeared meanwhile (and when it began); returns the cursor in force. */
  async cursorInit(botId: number, messageId: number, fence: CursorFence): Promise<number> {
    const r = Number(
      await runScript(this.redis, 'cursor-init', [this.keys.cursor, this.keys.sessionLock], [String(botId), String(messageId), this.clock.offsetMs, fence.token, fence.account]),
    );
    if (r < 0) throw new NotSessionHolderError();
    return r;
  }

  /** Moves the cursor forward only; returns the cursor in force. */
  async cursorAdvance(botId: number, messageId: number, fence: CursorFence): Promise<number> {
    const r = Number(await runScript(this.redis, 'cursor-advance', [this.keys.cursor, this.keys.sessionLock], [String(botId), String(messageId), fence.token, fence.account]));
    if (r < 0) throw new NotSessionHolderError();
    return r;
  }

  /** When a watched bot last wrote (unix ms, its own timestamp), kept across restarts. */
  async lastBotMessageAt(): Promise<number | null> {
    return Number(await this.redis.hget(this.keys.cursor, cursorFields.lastMessageAt)) || null;
  }

  async setLastBotMessageAt(at: number): Promise<void> {
    await this.redis.hset(this.keys.cursor, cursorFields.lastMessageAt, String(at));
  }

  // --- Telegram session lock: one process per session.

  async lockAcquire(token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.sessionLock, token, 'PX', ttlMs, 'NX')) === 'OK';
  }

  lockHolder(): Promise<string | null> {
    return this.redis.get(this.keys.sessionLock);
  }

  /** A standby says it is there (for `ttlMs`): the holder must then never outlive its lease. */
  async markStandby(ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.sessionStandby, '1', 'PX', ttlMs);
  }

  async clearStandby(): Promise<void> {
    await this.redis.del(this.keys.sessionStandby);
  }

  async standbyPresent(): Promise<boolean> {
    return (await this.redis.exists(this.keys.sessionStandby)) === 1;
  }

  async lockRenew(token: string, ttlMs: number): Promise<LockRenewal> {
    const r = Number(await runScript(this.redis, 'lock-renew', [this.keys.sessionLock], [token, String(ttlMs)]));
    return r === 1 ? 'renewed' : r === 2 ? 'retaken' : 'lost';
  }

  /** Takes the lock over from `deadToken`, if that holder still has it. */
  async lockTakeOver(deadToken: string, token: string, ttlMs: number): Promise<boolean> {
    return Number(await runScript(this.redis, 'lock-takeover', [this.keys.sessionLock], [deadToken, token, String(ttlMs)])) === 1;
  }

  async lockRelease(token: string): Promise<boolean> {
    return Number(await runScript(this.redis, 'lock-release', [this.keys.sessionLock], [token])) === 1;
  }

  /** A small write with a short TTL: proves the Redis we talk to accepts writes, and that
   * REDIS_MIN_REPLICAS replicas are there to confirm them (/ready). With a gate nothing waits:
   * the write goes on the read connection and the replicas are the gate's current count. */
  async writeProbe(): Promise<void> {
    if (!this.durability.gate) {
      await this.replicated({ touch: true, timeoutMs: 100 });
      return;
    }
    await this.redis.set(this.keys.readyProbe, '1', 'PX', 10_000);
    this.admit();
  }

  // --- The replica record: REDIS_MIN_REPLICAS's default (src/replicas).

  /** Records each shard's replica count not yet recorded; returns the whole record. */
  async replicasRecord(shards: { shard: string; replicas: number; audit: string }[], auditKept: number): Promise<Record<string, number>> {
    const args: (string | number)[] = [auditKept];
    for (const s of shards) args.push(s.shard, s.replicas, s.audit);
    const flat = (await runScript(this.redis, 'replicas-record', [this.keys.replicas, this.keys.replicasAudit], args)) as string[];
    const out: Record<string, number> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = Number(flat[i + 1]);
    return out;
  }

  /** Sets one shard's count (audited); returns the previous one (null: none was recorded). */
  async replicasSet(shard: string, replicas: number, audit: string, auditKept: number): Promise<number | null> {
    const old = (await runScript(this.redis, 'replicas-set', [this.keys.replicas, this.keys.replicasAudit], [shard, replicas, audit, auditKept])) as string;
    return old === '' ? null : Number(old);
  }

  async replicasRecorded(): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(this.keys.replicas);
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
  }

  async replicasAuditLog(): Promise<string[]> {
    return this.redis.lrange(this.keys.replicasAudit, 0, -1);
  }

  /** Replaces the daemon's heartbeat; it disappears `ttlMs` after the daemon stops writing it. */
  async publishDaemonStatus(h: DaemonHeartbeat, ttlMs: number): Promise<void> {
    const key = this.keys.daemonStatus;
    await this.redis
      .multi()
      .del(key)
      .hset(key, {
        version: h.version, pid: String(h.pid), host: h.host, sandbox: h.sandbox ? '1' : '0',
        telegram_connected: h.telegramConnected ? '1' : '0', telegram_state: h.telegramState, expiry_held: h.expiryHeld ? '1' : '0',
        watermark_lag_s: h.watermarkLagS === null ? '' : String(h.watermarkLagS),
        last_bot_message_at: h.lastBotMessageAt === null ? '' : String(h.lastBotMessageAt), account: h.account ?? '',
        updated_at: String(h.updatedAt),
      })
      .pexpire(key, ttlMs)
      .exec();
  }

  async daemonStatus(): Promise<DaemonHeartbeat | null> {
    const h = await this.redis.hgetall(this.keys.daemonStatus);
    if (!h.updated_at) return null;
    return {
      version: h.version ?? '', pid: Number(h.pid), host: h.host ?? '', sandbox: h.sandbox === '1',
      telegramConnected: h.telegram_connected === '1', expiryHeld: h.expiry_held === '1',
      // Written by an older version: only connected or not.
      telegramState: h.telegram_state || (h.telegram_connected === '1' ? 'up' : 'down'),
      watermarkLagS: h.watermark_lag_s ? Number(h.watermark_lag_s) : null,
      lastBotMessageAt: h.last_bot_message_at ? Number(h.last_bot_message_at) : null, account: h.account || null,
      updatedAt: Number(h.updated_at),
    };
  }

  /** Removes the heartbeat on a clean stop, if it is still this process's. */
  async clearDaemonStatus(pid: number, host: string): Promise<void> {
    const [p, h] = await this.redis.hmget(this.keys.daemonStatus, 'pid', 'host');
    if (p === String(pid) && h === host) await this.redis.del(this.keys.daemonStatus);
  }

  /** Deletes every key of this prefix (the demo's throw-away prefix on a shared Redis). One node only. */
  async deleteEverything(): Promise<number> {
    if (this.redis instanceof Cluster) throw new Error('deleteEverything: not on a Cluster');
    let cursor = '0';
    let n = 0;
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', this.keys.everything, 'COUNT', 500);
      cursor = next;
      if (found.length > 0) n += await this.redis.unlink(...found);
    } while (cursor !== '0');
    return n;
  }

  // --- Counts for /metrics and status.

  failedCount(): Promise<number> {
    return this.redis.zcard(this.keys.failed);
  }

  /** Transactions whose delivery failed at or after `sinceMs` (unix ms), oldest first. */
  failedSince(sinceMs: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.failed, sinceMs, '+inf', 'LIMIT', 0, limit);
  }

  /** Credits waiting in the review queue (open credit records). */
  openCreditsCount(): Promise<number> {
    return this.redis.zcard(this.keys.creditsOpen);
  }

  /** Eviction and persistence settings from INFO (works where CONFIG is disabled). On a Cluster,
   * the worst of every master: INFO has no key, and a random node's answer could hide one that
   * evicts or has no AOF. */
  async serverInfo(): Promise<RedisServerInfo> {
    const texts = this.redis instanceof Cluster ? await Promise.all(this.redis.nodes('master').map((n) => n.info('all'))) : [await this.redis.info('all')];
    const all = texts.map((text) => {
      const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]?.trim();
      return {
        version: field('redis_version') ?? field('valkey_version') ?? '?',
        maxmemoryPolicy: field('maxmemory_policy') ?? '?',
        aofEnabled: field('aof_enabled') === '1',
        rdbLastSaveOk: field('rdb_last_bgsave_status') !== 'err',
        aofLastWriteOk: field('aof_last_write_status') !== 'err',
      };
    });
    const first = all[0] as RedisServerInfo;
    return {
      version: first.version,
      maxmemoryPolicy: all.find((i) => i.maxmemoryPolicy !== 'noeviction')?.maxmemoryPolicy ?? first.maxmemoryPolicy,
      aofEnabled: all.every((i) => i.aofEnabled),
      rdbLastSaveOk: all.every((i) => i.rdbLastSaveOk),
      aofLastWriteOk: all.every((i) => i.aofLastWriteOk),
    };
  }

  /** Redis's own clock (TIME), unix ms. */
  async serverTimeMs(): Promise<number> {
    const [sec, usec] = await this.redis.time();
    return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
  }

  pendingCount(): Promise<number> {
    return this.redis.zcard(this.keys.deadlines);
  }

  async webhookBacklog(): Promise<number> {
    const [len, retries] = await Promise.all([this.redis.xlen(this.keys.events), this.redis.zcard(this.keys.retries)]);
    return len + retries;
  }
}

/** The slice of Commands the Telegram watcher needs: its cursor and its session lock. */
export type TelegramStore = Pick<
  Commands,
  | 'cursorBind' | 'cursorGet' | 'cursorInit' | 'cursorAdvance' | 'lastBotMessageAt' | 'setLastBotMessageAt' | 'watermarkAdvance' | 'clockNow'
  | 'lockAcquire' | 'lockHolder' | 'lockRenew' | 'lockRelease' | 'lockTakeOver' | 'standbyPresent'
>;
