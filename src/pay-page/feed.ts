// One Redis subscriber connection per daemon, whatever the number of waiting customers:
// the deciding scripts PUBLISH `txid|event|ms`, and this fans each message out to the streams
// waiting on that transaction. After a reconnect every listener is told to re-read its
// status, so a publish missed while disconnected never strands a customer.
import { createRedis, type RedisConnection } from '../redis/client.js';
import type { RedisTarget } from '../redis/target.js';
import type { RedisKeys } from '../redis/keys.js';
import type { Logger } from '../log/logger.js';

/** What a deciding script published: `confirmed`, `expired`, `cancelled` or `late`, and when. */
export interface FeedUpdate {
  event: string;
  at: number;
}

/** An update, or null for "something may have been missed: re-read". */
export type FeedListener = (update: FeedUpdate | null) => void;

export class PayFeed {
  private readonly sub: RedisConnection;
  private readonly listeners = new Map<string, Set<FeedListener>>();
  private subscribed = false;

  constructor(
    target: RedisTarget,
    private readonly keys: RedisKeys,
    private readonly onCardsChanged: () => void,
    log?: Logger,
  ) {
    this.sub = createRedis({ target, name: 'paycue-pay-feed', commandTimeoutMs: 5000, ...(log ? { log } : {}) });
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === keys.cardsChannel) return this.onCardsChanged();
      const [txid, event, at] = message.split('|');
      const set = this.listeners.get(txid ?? '');
      if (set) for (const l of set) l({ event: event ?? '', at: Number(at) });
    });
    // Whenever the subscription is (re)established, anything published before may have been
    // missed (ioredis re-subscribes by itself after a reconnect): every listener re-reads.
    this.sub.on('ready', () => {
      if (!this.subscribed) void this.subscribe();
      else this.resync();
    });
  }

  private resync(): void {
    this.onCardsChanged();
    for (const set of this.listeners.values()) for (const l of set) l(null);
  }

  private async subscribe(): Promise<void> {
    try {
      await this.sub.subscribe(this.keys.payChannel, this.keys.cardsChannel);
      this.subscribed = true;
      this.resync();
    } catch {
      /* not connected: the next 'ready' tries again */
    }
  }

  start(): void {
    if (this.sub.status === 'wait') this.sub.connect().catch(() => undefined);
  }

  /** Listens for one transaction; returns the function that stops listening. */
  listen(txid: string, l: FeedListener): () => void {
    let set = this.listeners.get(txid);
    if (!set) this.listeners.set(txid, (set = new Set()));
    set.add(l);
    return () => {
      set.delete(l);
      if (set.size === 0 && this.listeners.get(txid) === set) this.listeners.delete(txid);
    };
  }

  get listening(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }

  stop(): void {
    this.sub.disconnect();
  }
}
