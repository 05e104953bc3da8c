// Open status streams: a cap (PAY_STREAMS_MAX; beyond it 503 and the page polls instead),
// and a way to end them all at shutdown.
export class StreamRegistry {
  private readonly closers = new Set<() => void>();
  private reserved = 0;

  constructor(readonly max: number) {}

  get open(): number {
    return this.reserved;
  }

  /** Takes a slot; returns its release function (idempotent), or null when full. */
  reserve(): (() => void) | null {
    if (this.reserved >= this.max) return null;
    this.reserved++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reserved--;
    };
  }

  /** Registers how to end a stream early; returns the unregister function. */
  track(close: () => void): () => void {
    this.closers.add(close);
    return () => this.closers.delete(close);
  }

  closeAll(): void {
    for (const c of [...this.closers]) c();
  }
}
