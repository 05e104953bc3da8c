// How many replicas every acknowledged write needs. REDIS_MIN_REPLICAS when set; otherwise the
// replicas the deployment had when paycue first saw it, recorded in Redis (per shard in a
// Cluster) and changed only by `paycue redis replicas set` — never because a node is down or
// was forgotten, which would silently lower the protection exactly when it matters.
import { Cluster } from 'ioredis';
import type { RedisConnection } from '../redis/client.js';
import type { Commands } from '../redis/commands.js';
import { clusterShards, replicationFor, sentinelView, usableReplicas, type SentinelAccess, type ShardFacts } from '../redis/replicas.js';

/** Audit entries of the replica record kept. */
export const REPLICA_AUDIT_KEPT = 200;
/** Outside a Cluster the record has one shard. */
export const PRIMARY_SHARD = 'primary';

export interface RequirementDeps {
  mode: 'single' | 'sentinel' | 'cluster';
  /** REDIS_MIN_REPLICAS, when set. */
  explicit: number | undefined;
  redis: RedisConnection;
  commands: Commands;
  /** The sentinels, to count replicas that are down now (they are still part of the deployment). */
  sentinel?: SentinelAccess;
  /** Who records at first sight, for the audit (`daemon:host/pid`, `cli:user@host`). */
  actor: string;
  now?: () => number;
}

export interface ShardCount {
  shard: string;
  replicas: number;
  /** How it was counted, for the log and the audit. */
  detail: string;
}

/** The shard that holds our keys: its slot ranges in a Cluster, else `primary`. */
export async function ourShard(redis: RedisConnection, key: string, shards?: ShardFacts[]): Promise<string> {
  if (!(redis instanceof Cluster)) return PRIMARY_SHARD;
  const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
  const all = shards ?? (await clusterShards(redis));
  const mine = all.find((s) => s.ranges.some(([a, b]) => slot >= a && slot <= b));
  if (!mine) throw new Error(`no Cluster shard serves slot ${slot}`);
  return mine.key;
}

/** The replicas the deployment has now, members that are down included where the sentinels or
 * the Cluster still list them. */
export async function countReplicas(d: RequirementDeps): Promise<ShardCount[]> {
  if (d.redis instanceof Cluster) {
    return (await clusterShards(d.redis)).map((s) => ({ shard: s.key, replicas: s.replicas, detail: `CLUSTER SHARDS lists ${s.replicas} for master ${s.master}` }));
  }
  const info = await replicationFor(d.redis, d.commands.keys.readyProbe);
  const connected = info ? usableReplicas(info, Number.POSITIVE_INFINITY) : 0;
  if (d.mode !== 'sentinel' || !d.sentinel) return [{ shard: PRIMARY_SHARD, replicas: connected, detail: `${connected} connected to the primary` }];
  const known = await sentinelView(d.sentinel).then((v) => v.replicas.length, () => null);
  if (known === null) return [{ shard: PRIMARY_SHARD, replicas: connected, detail: `${connected} connected to the primary (no sentinel answered)` }];
  return [{ shard: PRIMARY_SHARD, replicas: Math.max(known, connected), detail: `the sentinels list ${known}, ${connected} connected to the primary` }];
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
    const shards = this.d.redis instanceof Cluster ? await clusterShards(this.d.redis) : undefined;
    this.shard = await ourShard(this.d.redis, this.d.commands.keys.readyProbe, shards);
    let record = await this.d.commands.replicasRecorded();
    if (record[this.shard] === undefined) {
      const counts = await countReplicas(this.d);
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
