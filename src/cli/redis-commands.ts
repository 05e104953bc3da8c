// `paycue redis replicas [set N --reason …]` (and `paycue redis switchover`, see below): the
// replica requirement shown and changed on purpose, with the change audited.
import type { OperatorConfig as Config } from '../config/env.js';
import { redisTarget, sentinelAccess } from '../config/redis.js';
import { switchover, SwitchoverError } from '../replicas/switchover.js';
import { replicaReport, setReplicas, type ReplicaAdminDeps } from '../replicas/admin.js';
import { requirementWarning } from '../replicas/messages.js';
import type { TxContext } from '../transactions/context.js';
import { withContext } from './admin-connection.js';
import { cliUser } from './actor.js';
import type { CliIO } from './io.js';

const deps = (config: Config, ctx: TxContext): ReplicaAdminDeps => ({
  redis: ctx.redis, commands: ctx.commands, mode: redisTarget(config).mode, explicit: config.redisMinReplicas,
});

export async function runRedisReplicas(config: Config, io: CliIO, o: { json: boolean }): Promise<number> {
  const r = await withContext(config, (ctx) => replicaReport(deps(config, ctx)));
  if (o.json) {
    io.out(JSON.stringify(r));
    return 0;
  }
  const recorded = r.recorded[r.shard];
  io.out(`shard      ${r.shard}`);
  io.out(`recorded   ${recorded === undefined ? 'nothing (a single node: no replicas are required)' : `${recorded} replicas`}`);
  io.out(`required   ${r.required} (${r.source === 'recorded' ? 'the recorded count' : r.source === 'single node' ? 'a single node, REDIS_MIN_REPLICAS unset' : `REDIS_MIN_REPLICAS=${r.required}`})`);
  io.out(`connected  ${r.connected ?? 'unknown'}${r.connected !== null && r.connected < r.required ? ' — fewer than required: writes are refused (503)' : ''}`);
  const warning = requirementWarning({ explicit: config.redisMinReplicas, recorded: recorded ?? null });
  if (warning) io.out(`warning    ${warning}`);
  const others = Object.entries(r.recorded).filter(([s]) => s !== r.shard);
  if (others.length > 0) io.out(`other shards: ${others.map(([s, n]) => `${s}: ${n}`).join('; ')}`);
  if (r.audit.length > 0) {
    io.out('changes:');
    for (const a of r.audit) io.out(`  ${a.at}  ${a.by}  ${a.action} ${a.shard}: ${a.from !== undefined ? `${a.from} → ` : ''}${a.to}  (${a.reason})`);
  }
  return 0;
}

export async function runRedisReplicasSet(config: Config, io: CliIO, n: number, reason: string): Promise<number> {
  if (reason.trim() === '') {
    io.err('--reason must not be empty: say why, in a few words (it is kept in the audit trail)');
    return 2;
  }
  if (redisTarget(config).mode === 'single') {
    io.err('a single Redis node has no failover: nothing is recorded for it (set REDIS_MIN_REPLICAS to wait for replicas anyway)');
    return 2;
  }
  const r = await withContext(config, (ctx) => setReplicas(deps(config, ctx), n, cliUser().by, reason.trim()));
  io.out(`replicas for ${r.shard}: ${r.from ?? 'none'} → ${r.to} (audited); running daemons apply it within 5 s`);
  if (config.redisMinReplicas !== undefined) io.out(`note: REDIS_MIN_REPLICAS=${config.redisMinReplicas} is set and wins over the record while it is`);
  if (r.connected !== null && r.connected < r.to) io.out(`${r.connected} replicas are connected now: writes are refused (503) until ${r.to} are`);
  else if (r.connected !== null && r.connected > r.to) {
    io.out(`${r.connected} replicas are connected now: a write only ${r.to} of them confirmed is acknowledged, and killing the primary can lose it`);
  }
  return 0;
}

export async function runRedisSwitchover(config: Config, io: CliIO, o: { catchUpMs?: number; switchMs?: number } = {}): Promise<number> {
  const target = redisTarget(config);
  const access = sentinelAccess(config);
  if (target.mode === 'cluster') {
    io.err('Redis Cluster: run CLUSTER FAILOVER on a replica of the master to replace (redis-cli -h REPLICA cluster failover); it is already coordinated (the master pauses until the replica has caught up), see README, High availability');
    return 2;
  }
  if (target.mode !== 'sentinel' || !access) {
    io.err('a switchover needs Redis Sentinel (REDIS_SENTINELS and REDIS_SENTINEL_NAME): a single node has nothing to switch to');
    return 2;
  }
  try {
    const r = await switchover({
      access,
      creds: { tls: target.tls, ...(target.username ? { username: target.username } : {}), ...(target.password ? { password: target.password } : {}), ...(target.ca ? { ca: target.ca } : {}) },
      ...(o.catchUpMs !== undefined ? { catchUpMs: o.catchUpMs } : {}),
      ...(o.switchMs !== undefined ? { switchMs: o.switchMs } : {}),
      progress: io.out,
    });
    io.out(
      `switched ${r.from.host}:${r.from.port} → ${r.to.host}:${r.to.port} at offset ${r.offset}: writes paused ${r.pausedMs} ms ` +
        `(replicas caught up in ${r.catchUpMs} ms, promoted after ${r.promoteMs} ms, named by the sentinels after ${r.switchMs} ms` +
        `${r.announcedMs === null ? '' : `, +switch-master after ${r.announcedMs} ms`}); nothing acknowledged was lost`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof SwitchoverError)) throw err;
    io.err(`switchover failed: ${err.message}`);
    return 1;
  }
}
