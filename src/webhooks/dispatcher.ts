// Webhook workers: consume the durable events stream (consumer group), deliver with up to
// WORKERS requests in flight, schedule retries in a sorted set, and reclaim entries that a
// crashed daemon left half-done. Nothing here sleeps inside a delivery.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { WEBHOOK_GROUP } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import { connectRedis } from '../redis/client.js';
import type { TxContext } from '../transactions/context.js';
import { getTransaction } from '../transactions/get.js';
import { decidedAt, webhookBody, webhookId, type WebhookAction } from './payload.js';
import { retryDelayMs } from './retry-delay.js';
import { sendWebhook, type AttemptOutcome } from './send.js';
import { secretKey } from './sign.js';

export interface WebhookSettings {
  url: string;
  secret?: string;
  workers: number;
  retries: number;
  backoffMs: number[];
  timeoutMs: number;
  success: 'ok' | '2xx';
  userAgent: string;
}

export interface DispatcherTimings {
  /** An entry idle this long in another consumer's hands is taken over (its daemon died). */
  reclaimIdleMs: number;
  reclaimEveryMs: number;
  heartbeatEveryMs: number;
  retryPollMs: number;
  blockMs: number;
}

export const DEFAULT_TIMINGS: DispatcherTimings = {
  reclaimIdleMs: 10_000,
  reclaimEveryMs: 2_000,
  heartbeatEveryMs: 3_000,
  retryPollMs: 500,
  blockMs: 1_000,
};

interface Entry {
  id: string;
  tx: string;
  action: WebhookAction;
}

function toEntries(raw: [string, string[]][] | null | undefined): Entry[] {
  const out: Entry[] = [];
  for (const [id, fields] of raw ?? []) {
    if (!fields) continue; // trimmed entry still in the pending list
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
    if (f.tx && (f.action === 'confirm' || f.action === 'cancel')) out.push({ id, tx: f.tx, action: f.action });
  }
  return out;
}

export class WebhookDispatcher {
  private readonly consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly key: Buffer | null;
  private stopping = false;
  private reclaimFrom = '0-0';
  private lastConsumerSweep = 0;
  private loops: Promise<void>[] = [];
  private wake: (() => void) | null = null;

  constructor(
    private readonly ctx: TxContext,
    /** A connection of its own: XREADGROUP BLOCK holds it. */
    private readonly blocking: Redis,
    private readonly settings: WebhookSettings,
    private readonly log: Logger,
    private readonly metrics?: Metrics,
    private readonly timings: DispatcherTimings = DEFAULT_TIMINGS,
  ) {
    this.key = settings.secret ? secretKey(settings.secret) : null;
  }

  start(): void {
    this.loops = [
      this.loop('read', 0, () => this.readNew()),
      this.loop('reclaim', this.timings.reclaimEveryMs, () => this.reclaim()),
      this.loop('heartbeat', this.timings.heartbeatEveryMs, () => this.heartbeat()),
      this.loop('retries', this.timings.retryPollMs, () => this.requeueDue()),
    ];
  }

  /** Stops taking work, lets deliveries in flight finish until the deadline, then aborts the rest
   * (they are queued again at once for whichever daemon runs next). */
  async stop(deadlineMs = 5000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    this.stopping = true;
    this.wake?.();
    for (const wake of [...this.sleepers]) wake();
    // Our in-flight entries must stay ours while they finish: keep them fresh, or another
    // daemon's reclaim would deliver them a second time in parallel.
    const beat = setInterval(() => void this.heartbeat().catch(() => undefined), this.timings.heartbeatEveryMs);
    try {
      // The loops end promptly; whatever a last read returns is handed back, not started.
      await Promise.allSettled(this.loops);
      while (this.inFlight.size > 0) {
        const left = deadline - Date.now();
        if (left <= 0) {
          this.log.warn({ in_flight: this.inFlight.size }, 'deliveries still running at shutdown; queued again for the next start');
          this.abort.abort();
          await Promise.allSettled([...this.inFlight.values()]);
          break;
        }
        await Promise.race([Promise.allSettled([...this.inFlight.values()]), new Promise((r) => setTimeout(r, left).unref())]);
      }
    } finally {
      clearInterval(beat);
    }
    await runScript(this.ctx.redis, 'leave-group', [this.ctx.keys.events], [WEBHOOK_GROUP, this.consumer]).catch(() => undefined);
    this.blocking.disconnect();
  }

  get busy(): number {
    return this.inFlight.size;
  }

  private async loop(name: string, everyMs: number, step: () => Promise<void>): Promise<void> {
    let failing = false;
    while (!this.stopping) {
      try {
        await step();
        if (failing) this.log.info({ loop: name }, 'webhook loop resumed');
        failing = false;
        if (everyMs > 0) await this.pause(everyMs);
      } catch (err) {
        if (this.stopping) return;
        const msg = (err as Error).message;
        if (msg.includes('NOGROUP')) {
          // Redis lost the stream (restarted without persistence): recreate the group.
          await this.ensureGroup().catch(() => undefined);
          await this.pause(200);
          continue;
        }
        if (!failing) this.log.warn({ loop: name, err: msg }, 'webhook loop failed; retrying');
        failing = true;
        await this.pause(Math.max(everyMs, 500));
      }
    }
  }

  private readonly sleepers = new Set<() => void>();

  /** A wait that stop() cuts short. */
  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  async ensureGroup(): Promise<void> {
    try {
      await this.ctx.redis.xgroup('CREATE', this.ctx.keys.events, WEBHOOK_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err as Error).message.includes('BUSYGROUP')) throw err;
    }
  }

  private freeSlots(): number {
    return this.settings.workers - this.inFlight.size;
  }

  private async waitForSlot(): Promise<void> {
    while (this.freeSlots() <= 0 && !this.stopping) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private async readNew(): Promise<void> {
    await this.waitForSlot();
    if (this.stopping) return;
    if (this.blocking.status !== 'ready' && !(await connectRedis(this.blocking, this.timings.blockMs))) {
      throw new Error('redis is not reachable (webhook reader)');
    }
    const res = (await this.blocking.xreadgroup(
      'GROUP', WEBHOOK_GROUP, this.consumer,
      'COUNT', this.freeSlots(),
      'BLOCK', this.timings.blockMs,
      'STREAMS', this.ctx.keys.events, '>',
    )) as [string, [string, string[]][]][] | null;
    await this.begin(toEntries(res?.[0]?.[1]));
  }

  /** Starts deliveries, or, when stop() began while they were being read, hands them back. */
  private async begin(entries: Entry[]): Promise<void> {
    if (!this.stopping) {
      for (const e of entries) this.dispatch(e);
      return;
    }
    for (const e of entries) await this.handBack(e).catch(() => undefined);
  }

  private async handBack(e: Entry): Promise<void> {
    await runScript(this.ctx.redis, 'requeue', [this.ctx.keys.events], [e.id, WEBHOOK_GROUP, e.tx, e.action, this.consumer]);
  }

  /** Entries another (dead) consumer held for too long. The scan resumes where the last one
   * stopped, so entries far down a long pending list are reached too. */
  private async reclaim(): Promise<void> {
    await this.forgetGoneConsumers();
    if (this.freeSlots() <= 0) return;
    const res = (await this.ctx.redis.xautoclaim(
      this.ctx.keys.events, WEBHOOK_GROUP, this.consumer, this.timings.reclaimIdleMs, this.reclaimFrom, 'COUNT', this.freeSlots(),
    )) as [string, [string, string[]][], string[]?];
    this.reclaimFrom = res[0];
    const entries = toEntries(res[1]).filter((e) => !this.inFlight.has(e.id));
    for (const e of entries) this.log.info({ transaction_id: e.tx, action: e.action }, 'resuming a delivery left unfinished');
    await this.begin(entries);
    // Entries whose message was trimmed away: acknowledge so they stop being reclaimed.
    const deleted = res[2] ?? [];
    if (deleted.length > 0) await this.ctx.redis.xack(this.ctx.keys.events, WEBHOOK_GROUP, ...deleted);
  }

  /** Every stopped daemon leaves its consumer name behind; remove those idle an hour with
   * nothing pending (a crashed daemon's pending entries are reclaimed first). */
  private async forgetGoneConsumers(): Promise<void> {
    const now = Date.now();
    if (now - this.lastConsumerSweep < 60_000) return;
    this.lastConsumerSweep = now;
    const rows = (await this.ctx.redis.xinfo('CONSUMERS', this.ctx.keys.events, WEBHOOK_GROUP)) as (string | number)[][];
    for (const row of rows) {
      const info: Record<string, string | number> = {};
      for (let i = 0; i + 1 < row.length; i += 2) info[String(row[i])] = row[i + 1] as string | number;
      if (info.name !== this.consumer && Number(info.pending) === 0 && Number(info.idle) > 3_600_000) {
        await runScript(this.ctx.redis, 'leave-group', [this.ctx.keys.events], [WEBHOOK_GROUP, String(info.name)]);
      }
    }
  }

  /** Resets the idle time of our in-flight entries so no one takes them over; an entry another
   * daemon already took over is left to it. */
  private async heartbeat(): Promise<void> {
    const ids = [...this.inFlight.keys()];
    if (ids.length === 0) return;
    await runScript(this.ctx.redis, 'heartbeat', [this.ctx.keys.events], [WEBHOOK_GROUP, this.consumer, ...ids]);
  }

  private async requeueDue(): Promise<void> {
    await runScript(this.ctx.redis, 'requeue-due', [this.ctx.keys.retries, this.ctx.keys.events], [this.ctx.now(), 100]);
  }

  private dispatch(e: Entry): void {
    const p = this.deliver(e)
      .catch((err) => this.log.error({ err: (err as Error).message, transaction_id: e.tx }, 'delivery bookkeeping failed; it will be retried'))
      .finally(() => {
        this.inFlight.delete(e.id);
        this.wake?.();
      });
    this.inFlight.set(e.id, p);
  }

  private async deliver(e: Entry): Promise<void> {
    const { redis, keys } = this.ctx;
    const tx = await getTransaction(this.ctx, e.tx);
    if (!tx) {
      this.log.error({ transaction_id: e.tx }, 'webhook event for a transaction that no longer exists; dropped');
      await redis.multi().xack(keys.events, WEBHOOK_GROUP, e.id).xdel(keys.events, e.id).exec();
      return;
    }
    const body = webhookBody(tx, e.action, this.ctx.rules.step);
    const out = await sendWebhook({
      url: this.settings.url,
      id: webhookId(tx.id, e.action),
      body,
      key: this.key,
      timeoutMs: this.settings.timeoutMs,
      success: this.settings.success,
      userAgent: this.settings.userAgent,
      signal: this.abort.signal,
    });
    if (this.abort.signal.aborted && !out.success) {
      // Shutting down mid-attempt: not the receiver's fault, so no attempt is counted. Queue it
      // afresh for whichever daemon runs next; if Redis is away, the reclaim picks it up later.
      await this.handBack(e).catch(() => undefined);
      return;
    }
    await this.record(e, tx.id, tx.webhookAttempts - tx.webhookRound + 1, out, decidedAt(tx, e.action));
  }

  private async record(e: Entry, txId: string, attemptInRound: number, out: AttemptOutcome, decided: number): Promise<void> {
    const { keys } = this.ctx;
    const now = this.ctx.now();
    const due = now + retryDelayMs(attemptInRound, this.settings.backoffMs, out.retryAfterMs);
    const attempt = JSON.stringify({
      at: new Date(now - out.durationMs).toISOString(),
      status: out.status,
      ...(out.error ? { error: out.error } : {}),
      duration_ms: out.durationMs,
    });
    const reply = (await runScript(
      this.ctx.redis,
      'attempt-result',
      [keys.tx(txId), keys.attempts(txId), keys.events, keys.retries, keys.failed],
      [txId, e.action, e.id, WEBHOOK_GROUP, out.success ? 'ok' : 'fail', attempt, now, 1 + this.settings.retries, due, this.ctx.rules.keepMs, 50, this.consumer],
    )) as [string, number];
    const [decision, attempts] = reply;
    // 'stale': another daemon took the entry over and decides; 'gone': the record expired.
    this.metrics?.webhookAttempts.inc({ outcome: decision === 'stale' || decision === 'gone' ? 'superseded' : decision });
    if (decision === 'gone') this.log.warn({ transaction_id: txId }, 'the transaction record expired during delivery; nothing recorded');
    const fields = { transaction_id: txId, action: e.action, attempts, status: out.status, error: out.error, duration_ms: out.durationMs };
    if (decision === 'delivered') {
      this.metrics?.webhookLatency.observe((now - decided) / 1000);
      this.log.info(fields, 'webhook delivered');
    } else if (decision === 'retry') {
      this.log.warn({ ...fields, retry_at: new Date(due).toISOString() }, 'webhook attempt failed; retry scheduled');
    } else if (decision === 'failed') {
      this.log.error(fields, 'webhook failed after its last retry; `paycue webhooks redeliver` can send it again');
    }
  }
}
