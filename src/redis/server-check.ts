// What kind of Redis we were given: money state must never be evicted, and should survive a
// restart. Managed services often forbid CONFIG GET; then nothing can be said, only warned.
import { Cluster } from 'ioredis';
import type { RedisConnection } from './client.js';

export interface ServerFacts {
  /** `maxmemory-policy` of every primary we could ask (null: CONFIG is forbidden). */
  evictionPolicy: string | null;
  /** AOF, RDB snapshots, both, none; null: unknown. */
  persistence: 'aof' | 'rdb' | 'aof+rdb' | 'none' | null;
}

async function configGet(node: RedisConnection, name: string): Promise<string | null> {
  try {
    const reply = (await node.call('CONFIG', 'GET', name)) as string[];
    return reply[1] ?? null;
  } catch {
    return null; // NOPERM, or CONFIG renamed away by the provider
  }
}

async function factsOf(node: RedisConnection): Promise<ServerFacts> {
  const [policy, aof, save] = await Promise.all([configGet(node, 'maxmemory-policy'), configGet(node, 'appendonly'), configGet(node, 'save')]);
  const rdb = save === null ? null : save.trim() !== '';
  const persistence =
    aof === null || rdb === null ? null : aof === 'yes' && rdb ? 'aof+rdb' : aof === 'yes' ? 'aof' : rdb ? 'rdb' : 'none';
  return { evictionPolicy: policy, persistence };
}

/** What a single-node address answers as: a data node, or a Sentinel or Cluster node that needs
 * its own mode (REDIS_SENTINELS, REDIS_CLUSTER_NODES); null when INFO cannot say. */
export async function serverMode(redis: RedisConnection): Promise<'standalone' | 'sentinel' | 'cluster' | null> {
  try {
    const mode = /^redis_mode:(\w+)/m.exec(await redis.info('server'))?.[1];
    return mode === 'standalone' || mode === 'sentinel' || mode === 'cluster' ? mode : null;
  } catch {
    return null;
  }
}

/** Replicas connected to the primary that holds `key` (all of paycue's keys share its slot);
 * null: unknown. */
export async function connectedReplicas(redis: RedisConnection, key: string): Promise<number | null> {
  const count = async (node: RedisConnection) => Number(/^connected_slaves:(\d+)/m.exec(await node.info('replication'))?.[1] ?? NaN);
  try {
    let node: RedisConnection | undefined = redis instanceof Cluster ? undefined : redis;
    if (redis instanceof Cluster) {
      const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
      const owner = (redis.slots[slot] ?? [])[0];
      node = redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
    }
    const n = node ? await count(node) : NaN;
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/** Facts of the primary, or of the worst primary of a Cluster. */
export async function serverFacts(redis: RedisConnection): Promise<ServerFacts> {
  if (!(redis instanceof Cluster)) return factsOf(redis);
  const all = await Promise.all(redis.nodes('master').map((n) => factsOf(n)));
  const evicting = all.find((f) => f.evictionPolicy !== null && f.evictionPolicy !== 'noeviction');
  const unpersisted = all.find((f) => f.persistence === 'none');
  return {
    evictionPolicy: evicting?.evictionPolicy ?? all[0]?.evictionPolicy ?? null,
    persistence: unpersisted ? 'none' : (all[0]?.persistence ?? null),
  };
}
