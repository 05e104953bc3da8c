// When catch-up runs: at start-up, after a drop, on an update gap, every few minutes, when a
// deadline waits for the watermark (at most once per `minGapMs`), and again after a failure
// with a growing delay. Runs go through the one serial queue, and requests made while one is
// queued share it.
import { CoalescedJob, SerialQueue } from './message-queue.js';

export interface SyncSchedule {
  /** Periodic catch-up, whatever else happens. */
  intervalMs: number;
  /** First delay before retrying a failed catch-up (doubles up to the interval). */
  retryBaseMs: number;
  /** Passes asked for by waiting deadlines start at least this far apart. */
  minGapMs: number;
}

export class SyncScheduler {
  readonly queue = new SerialQueue();
  private readonly job: CoalescedJob;
  private readonly periodic: NodeJS.Timeout;
  private retryTimer: NodeJS.Timeout | undefined;
  private soonTimer: NodeJS.Timeout | undefined;
  private retryDelay = 0;
  private lastStartedAt = -Infinity;
  private stopped = false;

  constructor(
    /** One catch-up pass; resolves false when it had to stop early. */
    sync: () => Promise<boolean>,
    private readonly schedule: SyncSchedule,
  ) {
    this.job = new CoalescedJob(this.queue, async () => {
      if (this.stopped) return;
      this.lastStartedAt = Date.now();
      if (await sync()) {
        this.retryDelay = 0;
        return;
      }
      this.retryLater();
    });
    this.periodic = setInterval(() => void this.request(), schedule.intervalMs);
    this.periodic.unref();
  }

  /** Runs a catch-up soon (after anything in progress); resolves when it is done. */
  request(): Promise<void> {
    return this.job.request();
  }

  /** Like request(), but in `delayMs` and no sooner than `minGapMs` after the last pass
   * started; coalesced. While passes fail, their growing retry delay decides instead (asking
   * every few seconds would flood Telegram with reads that fail anyway). */
  requestSoon(delayMs = 0): void {
    if (this.stopped || this.soonTimer || this.retryTimer) return;
    const wait = Math.max(this.lastStartedAt + this.schedule.minGapMs - Date.now(), delayMs);
    if (wait <= 0) {
      void this.request();
      return;
    }
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      void this.request();
    }, wait);
    this.soonTimer.unref();
  }

  private retryLater(): void {
    if (this.stopped || this.retryTimer) return;
    const { retryBaseMs, intervalMs } = this.schedule;
    this.retryDelay = Math.min(this.retryDelay === 0 ? retryBaseMs : this.retryDelay * 2, Math.max(retryBaseMs, intervalMs));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.request();
    }, this.retryDelay);
    this.retryTimer.unref();
  }

  /** No more runs start; resolves when the one in progress (if any) has finished. */
  stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.periodic);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.soonTimer) clearTimeout(this.soonTimer);
    return this.queue.idle();
  }
}
