// Webhook workers: the loops that feed deliveries from the durable events stream, with up to
// WORKERS requests in flight, move due retries back, take over what a crashed daemon left
// half-done, and keep our own in-flight entries from being taken over. Nothing here sleeps
// inside a delivery; the stream (stream.ts) and one delivery (deliver.ts) live beside it.
import type { RedisConnection } from '../redis/client.js';
import type { Logger } from '../log/logger.js';
import type { Events } from '../events.js';
import { connectRedis } from '../redis/client.js';
import type { TxContext } from '../transactions/context.js';
import { Deliverer, type WebhookSettings } from './deliver.js';
import { EventStream, type StreamEntry } from './stream.js';
import { ReplicationBarrier } from './replication-barrier.js';

export type { WebhookSettings } from './deliver.js';

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

export interface DispatcherDeps {
  ctx: TxContext;
  /** A connection of its own for the blocking read; its owner closes it. */
  blocking: RedisConnection;
  settings: WebhookSettings;
  log: Logger;
  events: Events;
  timings?: DispatcherTimings;
}

export class WebhookDispatcher {
  private readonly stream: EventStream;
  private readonly deliverer: Deliverer;
  private readonly timings: DispatcherTimings;
  private readonly log: Logger;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly sleepers = new Set<() => void>();
  private stopping = false;
  private loops: Promise<void>[] = [];
  private wake: (() => void) | null = null;
  private readonly barrier: ReplicationBarrier;
  /** Deliveries are waiting for their events to reach the replicas (logged once). */
  private held = false;

  constructor(private readonly deps: DispatcherDeps) {
    this.barrier = new ReplicationBarrier(() => deps.ctx.commands.confirmReplicated());
    this.stream = new EventStream(deps.ctx, deps.blocking);
    this.deliverer = new Deliverer(deps.ctx, deps.settings, deps.events);
    this.timings = deps.timings ?? DEFAULT_TIMINGS;
    this.log = deps.log.child({ component: 'webhooks' });
  }

  ensureGroup(): Promise<void> {
    return this.stream.ensureGroup();
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
    await this.stream.leave().catch(() => undefined);
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
        if ((err as Error).message.includes('NOGROUP')) {
          // Redis lost the stream (restarted without persistence): recreate the group.
          await this.stream.ensureGroup().catch(() => undefined);
          await this.pause(200);
          continue;
        }
        if (!failing) this.log.warn({ loop: name, err }, 'webhook loop failed; retrying');
        failing = true;
        await this.pause(Math.max(everyMs, 500));
      }
    }
  }

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

  private freeSlots(): number {
    return this.deps.settings.workers - this.inFlight.size;
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
    const { blocking } = this.deps;
    if (blocking.status !== 'ready' && !(await connectRedis(blocking, this.timings.blockMs))) {
      throw new Error('redis is not reachable (webhook reader)');
    }
    await this.begin(await this.stream.readNew(this.freeSlots(), this.timings.blockMs));
  }

  /** Starts deliveries, or, when stop() began while they were being read, hands them back. */
  private async begin(entries: StreamEntry[]): Promise<void> {
    if (!this.stopping) {
      for (const e of entries) this.dispatch(e);
      return;
    }
    for (const e of entries) await this.stream.handBack(e).catch(() => undefined);
  }

  private async reclaim(): Promise<void> {
    await this.stream.forgetGoneConsumers();
    if (this.freeSlots() <= 0) return;
    const entries = (await this.stream.takeOver(this.timings.reclaimIdleMs, this.freeSlots())).filter((e) => !this.inFlight.has(e.id));
    for (const e of entries) this.log.info({ transaction_id: e.tx, action: e.action }, 'resuming a delivery left unfinished');
    await this.begin(entries);
  }

  private heartbeat(): Promise<void> {
    return this.stream.keepFresh([...this.inFlight.keys()]);
  }

  private async requeueDue(): Promise<void> {
    await this.deps.ctx.commands.requeueDue(this.deps.ctx.now());
  }

  private dispatch(e: StreamEntry): void {
    const p = this.run(e, this.barrier.ticket())
      .catch((err: unknown) => this.log.error({ err, transaction_id: e.tx }, 'delivery bookkeeping failed; it will be retried'))
      .finally(() => {
        this.inFlight.delete(e.id);
        this.wake?.();
      });
    this.inFlight.set(e.id, p);
  }

  private async run(e: StreamEntry, ticket: number): Promise<void> {
    if (!(await this.onReplicas(ticket))) {
      await this.stream.handBack(e).catch(() => undefined);
      return;
    }
    const end = await this.deliverer.deliver(e, this.stream.consumer, this.abort.signal);
    if (end === 'no_transaction') {
      this.log.error({ transaction_id: e.tx }, 'webhook event for a transaction that no longer exists; dropped');
      await this.stream.drop(e);
    } else if (end === 'aborted') {
      // Queue it afresh for whichever daemon runs next; if Redis is away, the reclaim picks it up later.
      await this.stream.handBack(e).catch(() => undefined);
    }
  }

  /** Waits until the event read before `ticket` is on the required replicas; false when stopping. */
  private async onReplicas(ticket: number): Promise<boolean> {
    for (;;) {
      if (this.stopping) return false;
      try {
        await this.barrier.after(ticket);
        if (this.held) this.log.info('webhook deliveries resumed: their events are on the required replicas');
        this.held = false;
        return true;
      } catch (err) {
        if (!this.held) this.log.warn({ err: (err as Error).message }, 'webhook deliveries held: their events are not yet on the required Redis replicas');
        this.held = true;
        await this.pause(500);
      }
    }
  }
}
