// The durable events stream as the webhook workers see it: one consumer of the `webhooks`
// group per daemon. Reading, taking over a dead daemon's entries, keeping ours fresh, handing
// entries back, and forgetting consumers of daemons that are gone.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { RedisConnection } from '../redis/client.js';
import { WEBHOOK_GROUP } from '../redis/keys.js';
import type { TxContext } from '../transactions/context.js';
import type { WebhookAction } from './payload.js';

export interface StreamEntry {
  id: string;
  tx: string;
  action: WebhookAction;
}

function toEntries(raw: [string, string[]][] | null | undefined): StreamEntry[] {
  const out: StreamEntry[] = [];
  for (const [id, fields] of raw ?? []) {
    if (!fields) continue; // trimmed entry still in the pending list
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
    if (f.tx && (f.action === 'confirm' || f.action === 'cancel' || f.action === 'late_payment')) out.push({ id, tx: f.tx, action: f.action });
  }
  return out;
}

/** Consumers idle this long with nothing pending belong to daemons that are gone. */
const GONE_CONSUMER_IDLE_MS = 3_600_000;
const GONE_CONSUMER_SWEEP_MS = 60_000;

export class EventStream {
  readonly consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private reclaimFrom = '0-0';
  private lastConsumerSweep = 0;

  constructor(
    private readonly ctx: TxContext,
    /** A connection of its own: XREADGROUP BLOCK holds it. */
    readonly blocking: RedisConnection,
  ) {}

  private get key(): string {
    return this.ctx.keys.events;
  }

  async ensureGroup(): Promise<void> {
    try {
      await this.ctx.redis.xgroup('CREATE', this.key, WEBHOOK_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err as Error).message.includes('BUSYGROUP')) throw err;
    }
  }

  /** New entries for this consumer, waiting up to `blockMs` for some. */
  async readNew(count: number, blockMs: number): Promise<StreamEntry[]> {
    const res = (await this.blocking.xreadgroup(
      'GROUP', WEBHOOK_GROUP, this.consumer,
      'COUNT', count,
      'BLOCK', blockMs,
      'STREAMS', this.key, '>',
    )) as [string, [string, string[]][]][] | null;
    return toEntries(res?.[0]?.[1]);
  }

  /** Entries another (dead) consumer held longer than `idleMs`. The scan resumes where the
   * last one stopped, so entries far down a long pending list are reached too. */
  async takeOver(idleMs: number, count: number): Promise<StreamEntry[]> {
    const res = (await this.ctx.redis.xautoclaim(this.key, WEBHOOK_GROUP, this.consumer, idleMs, this.reclaimFrom, 'COUNT', count)) as [
      string,
      [string, string[]][],
      string[]?,
    ];
    this.reclaimFrom = res[0];
    // Entries whose message was trimmed away: acknowledge so they stop being reclaimed.
    const deleted = res[2] ?? [];
    if (deleted.length > 0) await this.ctx.redis.xack(this.key, WEBHOOK_GROUP, ...deleted);
    return toEntries(res[1]);
  }

  /** Resets the idle time of our in-flight entries so no one takes them over; an entry another
   * daemon already took over is left to it. */
  async keepFresh(ids: string[]): Promise<void> {
    await this.ctx.commands.heartbeat(this.consumer, ids);
  }

  /** Queues an unfinished delivery afresh, if we still hold it. */
  async handBack(e: StreamEntry): Promise<void> {
    await this.ctx.commands.requeue(e.id, e.tx, e.action, this.consumer);
  }

  /** An entry whose transaction no longer exists: nothing to deliver. */
  async drop(e: StreamEntry): Promise<void> {
    await this.ctx.redis.multi().xack(this.key, WEBHOOK_GROUP, e.id).xdel(this.key, e.id).exec();
  }

  /** Leaves the group at shutdown (only when this consumer holds nothing). */
  async leave(): Promise<void> {
    await this.ctx.commands.leaveGroup(this.consumer);
  }

  /** Every stopped daemon leaves its consumer name behind; remove those idle an hour with
   * nothing pending (a crashed daemon's pending entries are reclaimed first). */
  async forgetGoneConsumers(): Promise<void> {
    const now = Date.now();
    if (now - this.lastConsumerSweep < GONE_CONSUMER_SWEEP_MS) return;
    this.lastConsumerSweep = now;
    const rows = (await this.ctx.redis.xinfo('CONSUMERS', this.key, WEBHOOK_GROUP)) as (string | number)[][];
    for (const row of rows) {
      const info: Record<string, string | number> = {};
      for (let i = 0; i + 1 < row.length; i += 2) info[String(row[i])] = row[i + 1] as string | number;
      if (info.name !== this.consumer && Number(info.pending) === 0 && Number(info.idle) > GONE_CONSUMER_IDLE_MS) {
        await this.ctx.commands.leaveGroup(String(info.name));
      }
    }
  }
}
