// A decided event goes to the merchant only once its write is on the replicas every acknowledged
// write needs: otherwise a failover could undo a confirm whose webhook was already delivered (the
// event is in the stream, readable, before the deciding call's WAIT returns). One check — a small
// write, then WAIT, on the write connection — covers every event read before it started, so
// deliveries share checks instead of waiting one each.
export class ReplicationBarrier {
  private started = 0;
  private current: { seq: number; p: Promise<void> } | null = null;

  constructor(private readonly check: () => Promise<void>) {}

  /** Taken once an event has been read: any check started after it covers that event. */
  ticket(): number {
    return this.started;
  }

  /** Resolves when a check started after `ticket` succeeded; rejects with its error. */
  async after(ticket: number): Promise<void> {
    while (this.current && this.current.seq <= ticket) await this.current.p.catch(() => undefined);
    if (this.current) return this.current.p;
    const seq = ++this.started;
    const p = this.check().finally(() => {
      if (this.current?.seq === seq) this.current = null;
    });
    this.current = { seq, p };
    return p;
  }
}
