// The Redis deployment and the durability asked of it, as configured (REDIS_URL, REDIS_SENTINELS,
// REDIS_CLUSTER_NODES, REDIS_MIN_REPLICAS…): what the daemon, every command and doctor connect with.
import { readFileSync } from 'node:fs';
import type { OperatorConfig } from './env.js';
import type { RedisTarget } from '../redis/target.js';
import type { SentinelAccess } from '../redis/replicas.js';

/** The Redis deployment: Cluster or Sentinel when their nodes are set, else one node. Credentials
 * and TLS come from REDIS_URL (rediss://, user:password) or REDIS_PASSWORD. */
export function redisTarget(c: OperatorConfig): RedisTarget {
  const u = new URL(c.redisUrl);
  const username = decodeURIComponent(u.username) || undefined;
  const password = decodeURIComponent(u.password) || c.redisPassword;
  const ca = c.redisTlsCa ? { ca: readFileSync(c.redisTlsCa, 'utf8') } : {};
  const creds = { ...(username ? { username } : {}), ...(password ? { password } : {}), tls: u.protocol === 'rediss:', ...ca };
  if (c.redisClusterNodes) return { mode: 'cluster', nodes: c.redisClusterNodes, ...creds };
  if (c.redisSentinels) {
    return {
      mode: 'sentinel',
      sentinels: c.redisSentinels,
      name: c.redisSentinelName as string,
      db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
      ...(c.redisSentinelPassword ? { sentinelPassword: c.redisSentinelPassword } : {}),
      ...creds,
    };
  }
  if (c.redisPassword && !u.password) u.password = encodeURIComponent(c.redisPassword);
  return { mode: 'single', url: u.toString(), ...ca };
}

/** Replicas every acknowledged write must reach when the configuration says: REDIS_MIN_REPLICAS,
 * or 0 for a single node. Undefined: the replica count recorded in Redis (src/replicas). */
export function minReplicas(c: OperatorConfig): number | undefined {
  return c.redisMinReplicas ?? (redisTarget(c).mode === 'single' ? 0 : undefined);
}

/** Where the sentinels are, for counting replicas that are down and for the switchover. */
export function sentinelAccess(c: OperatorConfig): SentinelAccess | undefined {
  const t = redisTarget(c);
  if (t.mode !== 'sentinel') return undefined;
  return {
    sentinels: t.sentinels, name: t.name, ...(t.sentinelPassword ? { sentinelPassword: t.sentinelPassword } : {}),
    tls: t.tls, ...(t.ca ? { ca: t.ca } : {}),
  };
}
