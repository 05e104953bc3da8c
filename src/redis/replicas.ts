// What a primary says of its replicas (INFO replication), and what the sentinels and the Cluster
// know of them: the facts the write gate, the first-sight replica record, doctor and the
// switchover read. Plain commands only; nothing here decides anything.
import { Cluster, Redis } from 'ioredis';
import type { RedisConnection } from './client.js';
import type { HostPort } from './target.js';

/** The connection domain code (src/replicas) holds and passes back to these functions. */
export type DataConnection = RedisConnection;

/** Outside a Cluster the replica record has one shard. */
export const PRIMARY_SHARD = 'primary';

export const isCluster = (redis: DataConnection): boolean => redis instanceof Cluster;

export interface ReplicaLink {
  host: string;
  port: number;
  /** online once the first sync is done. */
  state: string;
  /** The replication offset the replica last acknowledged. */
  offset: number;
  /** Seconds since its last acknowledgement (sent every second). */
  lag: number;
}

export interface Replication {
  role: string;
  /** master_repl_offset: where the primary's replication stream is. */
  offset: number;
  /** A primary's replicas (empty on a replica). */
  replicas: ReplicaLink[];
  /** A replica's own processed offset (slave_repl_offset), and whether its link is up. */
  replicaOffset?: number;
  linkUp?: boolean;
}

export function parseReplication(text: string): Replication {
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]?.trim();
  const replicas: ReplicaLink[] = [];
  for (const m of text.matchAll(/^slave\d+:(.*)$/gm)) {
    const f: Record<string, string> = {};
    for (const part of (m[1] as string).trim().split(',')) {
      const [k, v] = part.split('=');
      if (k && v !== undefined) f[k] = v;
    }
    replicas.push({ host: f.ip ?? '', port: Number(f.port), state: f.state ?? '', offset: Number(f.offset ?? 0), lag: Number(f.lag ?? 0) });
  }
  const role = field('role') ?? '?';
  const replicaOffset = field('slave_repl_offset');
  return {
    role,
    offset: Number(field('master_repl_offset') ?? 0),
    replicas,
    ...(replicaOffset !== undefined ? { replicaOffset: Number(replicaOffset), linkUp: field('master_link_status') === 'up' } : {}),
  };
}

/** Replicas that have finished their first sync and acknowledged within `maxLagSec`. */
export function usableReplicas(r: Replication, maxLagSec: number): number {
  return r.role === 'master' ? r.replicas.filter((l) => l.state === 'online' && l.lag <= maxLagSec).length : 0;
}

const slots = new WeakMap<Cluster, Map<string, number>>();

/** The node that holds `key`: the primary itself, or in a Cluster the master of its slot. */
export async function nodeFor(redis: RedisConnection, key: string): Promise<Redis | null> {
  if (!(redis instanceof Cluster)) return redis;
  let known = slots.get(redis);
  if (!known) slots.set(redis, (known = new Map()));
  let slot = known.get(key);
  if (slot === undefined) {
    slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
    known.set(key, slot);
  }
  const owner = (redis.slots[slot] ?? [])[0];
  return redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner) ?? null;
}

/** INFO replication of the node that holds `key`. */
export async function replicationFor(redis: RedisConnection, key: string): Promise<Replication | null> {
  const node = await nodeFor(redis, key);
  return node ? parseReplication(await node.info('replication')) : null;
}

export interface ShardFacts {
  /** The shard's slot ranges, e.g. `0-5460`: what stays the same across its failovers. */
  key: string;
  ranges: [number, number][];
  /** Every replica the Cluster lists in the shard, reachable or not. */
  replicas: number;
  master: string;
}

/** Every shard of a Cluster and the replicas it has (CLUSTER SHARDS, Redis 7), as the master
 * that knows most of them says: gossip reaches nodes at different times, and one that has not yet
 * heard of a new replica would record too few (a first sight recorded low would stay low). */
export async function clusterShards(cluster: Cluster): Promise<ShardFacts[]> {
  const masters = cluster.nodes('master');
  if (masters.length === 0) throw new Error('no Cluster master is known yet');
  const views = await Promise.all(masters.map((m) => shardsSeenBy(m).catch(() => null)));
  const best = new Map<string, ShardFacts>();
  for (const view of views) {
    for (const shard of view ?? []) {
      const known = best.get(shard.key);
      if (!known || shard.replicas > known.replicas) best.set(shard.key, shard);
    }
  }
  if (best.size === 0) throw new Error('no Cluster master answered CLUSTER SHARDS');
  return [...best.values()];
}

async function shardsSeenBy(node: { call(...args: string[]): Promise<unknown> }): Promise<ShardFacts[]> {
  const raw = (await node.call('CLUSTER', 'SHARDS')) as unknown[][];
  const out: ShardFacts[] = [];
  for (const shard of raw) {
    const s = pairs(shard);
    const flat = ((s.slots as unknown[]) ?? []).map(Number);
    if (flat.length === 0) continue; // a shard of replicas without slots (being added)
    const ranges: [number, number][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) ranges.push([flat[i] as number, flat[i + 1] as number]);
    const nodes = ((s.nodes as unknown[][]) ?? []).map(pairs);
    const master = nodes.find((n) => n.role === 'master');
    out.push({
      key: ranges.map(([a, b]) => `${a}-${b}`).join(','),
      ranges,
      replicas: nodes.filter((n) => n.role === 'replica').length,
      master: master ? `${String(master.ip ?? master.endpoint)}:${String(master.port ?? master['tls-port'])}` : '?',
    });
  }
  return out;
}

function pairs(list: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = list[i + 1];
  return out;
}

export interface SentinelReplica {
  host: string;
  port: number;
  /** e.g. `slave`, `s_down,slave`, `disconnected,slave`. */
  flags: string;
  offset: number;
  priority: number;
}

export interface SentinelView {
  /** The sentinel that answered. */
  sentinel: HostPort;
  primary: HostPort;
  replicas: SentinelReplica[];
  /** The master's settings as the sentinel has them (down-after-milliseconds, failover-timeout, …). */
  settings: Record<string, string>;
  /** Other sentinels that sentinel knows. */
  otherSentinels: number;
}

export interface SentinelAccess {
  sentinels: HostPort[];
  name: string;
  sentinelPassword?: string;
  tls?: boolean;
  ca?: string;
}

/** A short-lived connection to one sentinel (the caller disconnects it). */
export function sentinelConnection(s: HostPort, a: SentinelAccess, connectTimeout = 1000): Redis {
  const r = new Redis({
    host: s.host, port: s.port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout, commandTimeout: 2000,
    retryStrategy: () => null,
    ...(a.sentinelPassword ? { password: a.sentinelPassword } : {}),
    ...(a.tls ? { tls: a.ca ? { ca: a.ca } : {} } : {}),
  });
  r.on('error', () => undefined);
  return r;
}

/** What the first sentinel that answers knows of the primary `name` and its replicas. */
export async function sentinelView(a: SentinelAccess): Promise<SentinelView> {
  let last: unknown = new Error('no sentinel configured');
  for (const s of a.sentinels) {
    const r = sentinelConnection(s, a);
    try {
      await r.connect();
      const master = pairs((await r.call('SENTINEL', 'MASTER', a.name)) as unknown[]);
      const replicas = ((await r.call('SENTINEL', 'REPLICAS', a.name)) as unknown[][]).map(pairs).map((x) => ({
        host: String(x.ip), port: Number(x.port), flags: String(x.flags ?? ''), offset: Number(x['slave-repl-offset'] ?? 0),
        priority: Number(x['slave-priority'] ?? x['replica-priority'] ?? 100),
      }));
      const settings: Record<string, string> = {};
      for (const [k, v] of Object.entries(master)) if (typeof v === 'string') settings[k] = v;
      return {
        sentinel: s,
        primary: { host: String(master.ip), port: Number(master.port) },
        replicas,
        settings,
        otherSentinels: Number(master['num-other-sentinels'] ?? 0),
      };
    } catch (err) {
      last = err;
    } finally {
      r.disconnect();
    }
  }
  throw last;
}

export interface DataCredentials {
  username?: string;
  password?: string;
  tls: boolean;
  ca?: string;
}

/** A short-lived connection to one data node (the primary, a replica) by address. */
export function nodeConnection(at: HostPort, c: DataCredentials, name = 'paycue-switchover'): Redis {
  const r = new Redis({
    host: at.host, port: at.port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 2000, commandTimeout: 3000,
    retryStrategy: () => null, connectionName: name,
    ...(c.username ? { username: c.username } : {}),
    ...(c.password ? { password: c.password } : {}),
    ...(c.tls ? { tls: c.ca ? { ca: c.ca } : {} } : {}),
  });
  r.on('error', () => undefined);
  return r;
}

/** `+switch-master` as the sentinels publish it: `name old-ip old-port new-ip new-port`. */
export function parseSwitchMaster(message: string): { name: string; from: HostPort; to: HostPort } | null {
  const p = message.trim().split(/\s+/);
  if (p.length !== 5) return null;
  return { name: p[0] as string, from: { host: p[1] as string, port: Number(p[2]) }, to: { host: p[3] as string, port: Number(p[4]) } };
}

/** INFO replication of one node connection (nodeConnection). */
export async function nodeReplication(r: Redis): Promise<Replication> {
  return parseReplication(await r.info('replication'));
}

/** The shard that holds `key`: its slot ranges in a Cluster, else `primary`. */
export async function shardOf(redis: DataConnection, key: string, shards?: ShardFacts[]): Promise<string> {
  if (!(redis instanceof Cluster)) return PRIMARY_SHARD;
  const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
  const all = shards ?? (await clusterShards(redis));
  const mine = all.find((s) => s.ranges.some(([a, b]) => slot >= a && slot <= b));
  if (!mine) throw new Error(`no Cluster shard serves slot ${slot}`);
  return mine.key;
}

/** Every shard's replicas if `redis` is a Cluster (undefined otherwise). */
export async function shardsOf(redis: DataConnection): Promise<ShardFacts[] | undefined> {
  return redis instanceof Cluster ? clusterShards(redis) : undefined;
}

export interface ShardCount {
  shard: string;
  replicas: number;
  /** How it was counted, for the log and the audit. */
  detail: string;
}

/** The replicas the deployment has now, members that are down included where the sentinels or
 * the Cluster still list them (`key`: one of ours, for the primary that holds it). */
export async function countReplicas(redis: DataConnection, key: string, sentinel?: SentinelAccess): Promise<ShardCount[]> {
  if (redis instanceof Cluster) {
    return (await clusterShards(redis)).map((s) => ({ shard: s.key, replicas: s.replicas, detail: `CLUSTER SHARDS lists ${s.replicas} for master ${s.master}` }));
  }
  const info = await replicationFor(redis, key);
  const connected = info ? usableReplicas(info, Number.POSITIVE_INFINITY) : 0;
  if (!sentinel) return [{ shard: PRIMARY_SHARD, replicas: connected, detail: `${connected} connected to the primary` }];
  const known = await sentinelView(sentinel).then((v) => v.replicas.length, () => null);
  if (known === null) return [{ shard: PRIMARY_SHARD, replicas: connected, detail: `${connected} connected to the primary (no sentinel answered)` }];
  return [{ shard: PRIMARY_SHARD, replicas: Math.max(known, connected), detail: `the sentinels list ${known}, ${connected} connected to the primary` }];
}
