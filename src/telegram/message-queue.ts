// One promise queue: jobs run one at a time, in the order they were pushed. Every path that
// hands messages to the handler (live updates, start-up, reconnect, periodic catch-up) goes
// through it, so messages are processed strictly one after another.
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `job` after every job pushed before it; resolves/rejects with its result. */
  push<T>(job: () => Promise<T>): Promise<T> {
    const run = this.tail.then(job);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Resolves once every job pushed so far has finished. */
  idle(): Promise<void> {
    return this.tail;
  }
}

/**
 * Coalesces requests for the same job: while one run is queued but not started, further
 * requests share it. A request made while a run is in progress queues one more run, so
 * nothing that arrived during a run is left unlooked-at.
 */
export class CoalescedJob {
  private queued: Promise<void> | null = null;

  constructor(
    private readonly queue: SerialQueue,
    private readonly job: () => Promise<void>,
  ) {}

  request(): Promise<void> {
    if (this.queued) return this.queued;
    const p = this.queue.push(async () => {
      this.queued = null;
      await this.job();
    });
    this.queued = p;
    return p;
  }
}
