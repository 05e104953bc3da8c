// How many replicas every acknowledged write needs. REDIS_MIN_REPLICAS when set; otherwise the
// replicas the deployment had when paycue first saw it, recorded in Redis (per shard in a
// Cluster) and changed only by `paycue redis replicas set` — never because a node is down or
// was forgotten, which would silently lower the protection exactly when it matters.
import type { Commands } from '../redis/commands.js';
import { countReplicas, PRIMARY_SHARD, shardOf, shardsOf, type DataConnection, type SentinelAccess, type ShardCount } from '../redis/replicas.js';

export { PRIMARY_SHARD, type ShardCount };

/** Audit entries of the replica record kept. */
export const REPLICA_AUDIT_KEPT = 200;

export interface RequirementDeps {
  mode: 'single' | 'sentinel' | 'cluster';
  /** REDIS_MIN_REPLICAS, when set. */
  explicit: number | undefined;
  redis: DataConnection;
  commands: Commands;
  /** The sentinels, to count replicas that are down now (they are still part of the deployment). */
  sentinel?: SentinelAccess;
  /** Who records at first sight, for the audit (`daemon:host/pid`, `cli:user@host`). */
  actor: string;
  now?: () => number;
}

export const auditText = (at: number, by: string, action: 'record' | 'set', shard: string, to: number, reason: string): string =>
  JSON.stringify({ at: new Date(at).toISOString(), by, action, shard, to, reason });

/** The requirement as the daemon keeps it: read at start, then re-read every few seconds (so a
 * `replicas set` on another host takes effect without a restart). */
export class Requirement {
  private recordedCount: number | null = null;
  private shard = PRIMARY_SHARD;
  /** Set when this process recorded the deployment (its first start on it). */
  firstSight: ShardCount | null = null;

  constructor(private readonly d: RequirementDeps) {}

  /** What each acknowledged write needs now; null while the record could not be read. */
  current(): number | null {
    if (this.d.explicit !== undefined) return this.d.explicit;
    if (this.d.mode === 'single') return 0;
    return this.recordedCount;
  }

  /** The count recorded for our shard (null: not read yet, or a single node). */
  recorded(): number | null {
    return this.recordedCount;
  }

  /** Reads the record, recording the deployment at first sight. */
  async refresh(): Promise<number | null> {
    if (this.d.mode === 'single') return this.current();
    const shards = await shardsOf(this.d.redis);
    this.shard = await shardOf(this.d.redis, this.d.commands.keys.readyProbe, shards);
    let record = await this.d.commands.replicasRecorded();
    if (record[this.shard] === undefined) {
      const counts = await countReplicas(this.d.redis, this.d.commands.keys.readyProbe, this.d.mode === 'sentinel' ? this.d.sentinel : undefined);
      const at = (this.d.now ?? Date.now)();
      record = await this.d.commands.replicasRecord(
        counts.map((c) => ({ ...c, audit: auditText(at, this.d.actor, 'record', c.shard, c.replicas, `first sight of the deployment: ${c.detail}`) })),
        REPLICA_AUDIT_KEPT,
      );
      const mine = counts.find((c) => c.shard === this.shard);
      if (mine && record[this.shard] === mine.replicas) this.firstSight = mine;
    }
    this.recordedCount = record[this.shard] ?? null;
    return this.current();
  }

  get shardName(): string {
    return this.shard;
  }
}
