// Refuse fast. While fewer replicas are connected than every write needs, an acknowledged write
// is refused before anything is sent (503 at once, nothing reserved or decided) instead of being
// made and then waiting out a WAIT that cannot succeed. The count is kept current by polling the
// primary's INFO on the read connection; a WAIT that falls short closes the gate at once, and
// only a probe WAIT that succeeds (with INFO agreeing) opens it again, so a replica that is
// connected but not acknowledging cannot make writes flap between made-and-refused.
import type { Logger } from '../log/logger.js';
import { NotReplicatedError, ReplicasMissingError, type Commands, type WriteGate } from '../redis/commands.js';
import { replicationFor, usableReplicas, type DataConnection } from '../redis/replicas.js';
import type { Requirement } from './requirement.js';
import { WAIT_TIMEOUT_MS } from '../transactions/context.js';

/** How often a closed gate looks again. */
const CLOSED_POLL_MS = 100;

export type GateReason = 'ok' | 'too_few' | 'fell_short' | 'unknown';

export interface GateState {
  open: boolean;
  /** Replicas each write needs (null: the record is not read yet). */
  required: number | null;
  /** Replicas connected and acknowledging, as last seen (null: not known). */
  connected: number | null;
  reason: GateReason;
  /** Since when writes are refused (unix ms), while they are. */
  since: number | null;
}

export interface GateOptions {
  read: DataConnection;
  commands: Commands;
  requirement: Requirement;
  log: Logger;
  /** How often INFO is read. */
  pollMs?: number;
  /** How often the replica record is read again (`paycue redis replicas set` elsewhere). */
  refreshMs?: number;
  /** A replica silent longer than this (s; it acknowledges every second) does not count. */
  maxLagSec?: number;
  /** The probe's WAIT before the gate opens again (the writes' own, by default: while the gate is
   * closed nothing else uses the write connection). */
  probeTimeoutMs?: number;
  onChange?: (s: GateState) => void;
}

export class ReplicaGate implements WriteGate {
  private s: GateState = { open: false, required: null, connected: null, reason: 'unknown', since: Date.now() };
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private refreshedAt = 0;
  private readonly pollMs: number;

  constructor(private readonly o: GateOptions) {
    this.pollMs = o.pollMs ?? 500;
  }

  state(): GateState {
    return { ...this.s };
  }

  admit(): void {
    if (this.s.open) return;
    throw new ReplicasMissingError(this.s.connected, this.s.required);
  }

  fellShort(acked: number, wanted: number): void {
    if (!this.s.open && this.s.reason === 'fell_short') return;
    this.set({ open: false, connected: acked, required: wanted, reason: 'fell_short' });
  }

  /** Polls until stop(); resolves after the first look (the daemon then knows where it stands) —
   * or, while enough replicas are connected but the probe has not yet been confirmed (a loaded
   * machine, a replica just synced), after a few more, so a daemon does not start by refusing. */
  async start(settleMs = 3000): Promise<void> {
    const end = Date.now() + settleMs;
    await this.check();
    while (!this.s.open && this.s.reason === 'fell_short' && !this.stopped && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      await this.check();
    }
    this.schedule();
  }

  /** Look again now (the connection came back, possibly to another primary after a failover). */
  poke(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    void this.check().finally(() => this.schedule());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    // Closed, the gate looks more often: after a failover every tenth of a second of refused
    // writes counts, and the replicas reattach within a few hundred milliseconds.
    const wait = this.s.open ? this.pollMs : Math.min(this.pollMs, CLOSED_POLL_MS);
    this.timer = setTimeout(() => void this.check().finally(() => this.schedule()), wait);
    this.timer.unref();
  }

  /** One look; never two at once. */
  private check(): Promise<void> {
    this.running ??= this.look().finally(() => (this.running = null));
    return this.running;
  }

  private async look(): Promise<void> {
    const { requirement, read, commands } = this.o;
    try {
      if (requirement.current() === null || Date.now() - this.refreshedAt >= (this.o.refreshMs ?? 5000)) {
        await requirement.refresh();
        this.refreshedAt = Date.now();
      }
    } catch (err) {
      // Unread (Redis away): keep the last requirement; with none yet, writes stay refused.
      if (requirement.current() === null) this.o.log.debug({ err }, 'replica record unreadable');
    }
    const required = requirement.current();
    if (required === null) return this.set({ open: false, required, connected: this.s.connected, reason: 'unknown' });
    if (required === 0) return this.set({ open: true, required, connected: this.s.connected, reason: 'ok' });
    let connected: number;
    try {
      const info = await replicationFor(read, commands.keys.readyProbe);
      if (!info) return; // Cluster slot map not known yet: the next look
      connected = usableReplicas(info, this.o.maxLagSec ?? 3);
    } catch {
      return; // Redis unreachable: writes fail on their own; the next look decides
    }
    if (connected < required) return this.set({ open: false, required, connected, reason: 'too_few' });
    if (this.s.open && this.s.required === required) return this.set({ ...this.s, connected });
    // Enough are connected: open only once one of them has acknowledged a write in time.
    try {
      await commands.probeReplicas(required, this.o.probeTimeoutMs ?? WAIT_TIMEOUT_MS);
      this.set({ open: true, required, connected, reason: 'ok' });
    } catch (err) {
      // Connected but not acknowledging (stalled, partitioned): still refused.
      this.set({ open: false, required, connected: err instanceof NotReplicatedError ? err.acked : null, reason: 'fell_short' });
    }
  }

  private set(next: Omit<GateState, 'since'>): void {
    const changed = next.open !== this.s.open || next.reason !== this.s.reason || next.required !== this.s.required || next.connected !== this.s.connected;
    const since = next.open ? null : this.s.open ? Date.now() : this.s.since;
    const closing = this.s.open && !next.open;
    this.s = { ...next, since };
    if (closing && this.timer) this.schedule(); // look again soon, not at the open gate's pace
    if (changed) this.o.onChange?.(this.state());
  }
}
