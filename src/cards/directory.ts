// The daemon's view of which cards exist: CARDS (last-4 only) plus the registry. Kept in
// memory so creates and credits need no extra Redis call; refreshed when any process
// changes the registry (a pub/sub ping) and every 10 s as a backstop. Whether a card may
// take a new reservation is decided in reserve.lua, so a stale view never outruns a disable.
import type { TxContext } from '../transactions/context.js';
import type { Logger } from '../log/logger.js';
import { listCards } from './registry.js';
import type { Card } from './card.js';

const BACKSTOP_MS = 10_000;

export class CardDirectory {
  private registered = new Map<string, Card>();
  private all: string[];
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(
    private readonly ctx: Pick<TxContext, 'redis' | 'keys' | 'commands'>,
    private readonly configured: string[],
    private readonly log?: Logger,
  ) {
    this.all = [...configured];
  }

  /** Every card that may hold or match a transaction: CARDS first, then registered ones. */
  universe(): string[] {
    return this.all;
  }

  get(last4: string): Card | undefined {
    return this.registered.get(last4);
  }

  /** In CARDS (known by its last-4 whether registered or not). */
  isConfigured(last4: string): boolean {
    return this.configured.includes(last4);
  }

  isActive(last4: string): boolean {
    return this.registered.get(last4)?.active ?? this.configured.includes(last4);
  }

  /** Re-reads the registry; errors are logged, not thrown. A read already under way may have
   * started before the caller's change, so a call during one queues (and shares) the next read. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.next ??= this.refreshing.then(() => {
        this.next = undefined;
        return this.refresh();
      });
      return this.next;
    }
    this.refreshing = listCards(this.ctx)
      .then((cards) => {
        this.registered = new Map(cards.map((c) => [c.last4, c]));
        const extra = cards.map((c) => c.last4).filter((l) => !this.configured.includes(l));
        this.all = [...this.configured, ...extra];
      })
      .catch((err: unknown) => this.log?.warn({ err }, 'could not read the card registry; keeping the last view'))
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  start(): void {
    this.timer = setInterval(() => void this.refresh(), BACKSTOP_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
