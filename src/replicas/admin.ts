// `paycue redis replicas [set N]`: what is recorded, what is required and connected now, and the
// one audited way to change the record (e.g. after removing a replica host for good).
import type { Commands } from '../redis/commands.js';
import { replicationFor, shardOf, usableReplicas, type DataConnection } from '../redis/replicas.js';
import { auditText, REPLICA_AUDIT_KEPT } from './requirement.js';

/** Most replicas a setting may name (REDIS_MIN_REPLICAS's own limit). */
export const MAX_REPLICAS = 10;

export interface ReplicaAuditEntry {
  at: string;
  by: string;
  action: 'record' | 'set';
  shard: string;
  from?: number;
  to: number;
  reason: string;
}

export interface ReplicaReport {
  /** The shard holding this prefix ('primary' outside a Cluster). */
  shard: string;
  /** Every shard's recorded count. */
  recorded: Record<string, number>;
  /** What each write needs now, and why. */
  required: number;
  source: 'REDIS_MIN_REPLICAS' | 'recorded' | 'single node';
  /** Replicas connected and acknowledging now (null: unknown). */
  connected: number | null;
  audit: ReplicaAuditEntry[];
}

export interface ReplicaAdminDeps {
  redis: DataConnection;
  commands: Commands;
  mode: 'single' | 'sentinel' | 'cluster';
  explicit: number | undefined;
}

async function connectedNow(d: ReplicaAdminDeps): Promise<number | null> {
  const info = await replicationFor(d.redis, d.commands.keys.readyProbe).catch(() => null);
  return info ? usableReplicas(info, 3) : null;
}

export async function replicaReport(d: ReplicaAdminDeps): Promise<ReplicaReport> {
  const shard = await shardOf(d.redis, d.commands.keys.readyProbe);
  const recorded = await d.commands.replicasRecorded();
  const source = d.explicit !== undefined ? 'REDIS_MIN_REPLICAS' : d.mode === 'single' ? 'single node' : 'recorded';
  const required = d.explicit ?? (d.mode === 'single' ? 0 : (recorded[shard] ?? 0));
  const audit = (await d.commands.replicasAuditLog()).map((s) => JSON.parse(s) as ReplicaAuditEntry);
  return { shard, recorded, required, source, connected: await connectedNow(d), audit };
}

export interface SetResult {
  shard: string;
  from: number | null;
  to: number;
  connected: number | null;
}

/** Sets the recorded count of this prefix's shard, with an audit entry naming who and why. */
export async function setReplicas(d: ReplicaAdminDeps, n: number, by: string, reason: string, now = Date.now()): Promise<SetResult> {
  if (!Number.isInteger(n) || n < 0 || n > MAX_REPLICAS) throw new RangeError(`the replica count must be a whole number from 0 to ${MAX_REPLICAS}`);
  const shard = await shardOf(d.redis, d.commands.keys.readyProbe);
  const from = await d.commands.replicasSet(shard, n, auditText(now, by, 'set', shard, n, reason), REPLICA_AUDIT_KEPT);
  return { shard, from, to: n, connected: await connectedNow(d) };
}
