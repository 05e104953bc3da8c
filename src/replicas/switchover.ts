// `paycue redis switchover`: a planned Sentinel failover that loses nothing, whatever
// REDIS_MIN_REPLICAS is. A bare SENTINEL FAILOVER does not stop the old primary first: it keeps
// taking writes while a replica is promoted, a replica still following it acknowledges them, and
// both drop them once re-pointed at the new primary (redis/redis#13118). Coordinated, the way
// careful operators do it:
//   1. CLIENT PAUSE WRITE on the primary (reads go on; a crash of this tool ends the pause by
//      itself, each renewal lasting `pauseMs`),
//   2. wait until every replica the sentinels could promote has processed the primary's last
//      offset (their own INFO, read directly: WAIT itself is paused),
//   3. SENTINEL FAILOVER, and wait for +switch-master (clients such as paycue's follow it at once),
//   4. point the old primary at the new one (REPLICAOF) while still paused, then unpause: the
//      writes held meanwhile fail READONLY and are retried by their clients on the new primary.
import {
  nodeConnection, nodeReplication, parseSwitchMaster, sentinelConnection, sentinelView, type DataCredentials, type SentinelAccess,
} from '../redis/replicas.js';
import type { HostPort } from '../redis/target.js';

export interface SwitchoverOptions {
  access: SentinelAccess;
  creds: DataCredentials;
  /** Each CLIENT PAUSE lasts this long; renewed while the switch goes on. */
  pauseMs?: number;
  /** Longest wait for the replicas to catch up before giving up (nothing switched). */
  catchUpMs?: number;
  /** Longest wait for the sentinels to announce the switch. */
  switchMs?: number;
  progress?: (line: string) => void;
}

export interface SwitchoverReport {
  from: HostPort;
  to: HostPort;
  /** The primary's replication offset when writes were paused. */
  offset: number;
  /** Replicas that were waited for. */
  replicas: number;
  /** Pause → every replica at the offset. */
  catchUpMs: number;
  /** SENTINEL FAILOVER → the new primary answers as one. */
  promoteMs: number;
  /** SENTINEL FAILOVER → the sentinels name the new primary (clients that reconnect find it). */
  switchMs: number;
  /** SENTINEL FAILOVER → +switch-master (the failover is over; null: not within the wait). */
  announcedMs: number | null;
  /** Writes paused in all (pause → unpause). */
  pausedMs: number;
}

export class SwitchoverError extends Error {
  constructor(
    message: string,
    /** Writes go on (unpaused), on the primary they went to before. */
    readonly resumed: boolean,
  ) {
    super(message);
    this.name = 'SwitchoverError';
  }
}

const at = (h: HostPort) => `${h.host}:${h.port}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Flags of a replica the sentinels would not promote. */
const UNUSABLE = /s_down|o_down|disconnected|failover/;

const info = nodeReplication;

export async function switchover(o: SwitchoverOptions): Promise<SwitchoverReport> {
  const say = o.progress ?? (() => undefined);
  const pauseMs = o.pauseMs ?? 5000;
  // One failover at a time: the sentinels may still be re-pointing replicas after the last one.
  let view = await sentinelView(o.access);
  const settleEnd = Date.now() + (o.switchMs ?? 30_000);
  while (/failover_in_progress/.test(view.settings.flags ?? '')) {
    if (Date.now() > settleEnd) throw new SwitchoverError(`the sentinels are still busy with a failover of ${o.access.name}; try again when SENTINEL MASTER no longer shows failover_in_progress`, true);
    await sleep(100);
    view = await sentinelView(o.access);
  }
  const candidates = view.replicas.filter((r) => !UNUSABLE.test(r.flags) && r.priority > 0);
  if (candidates.length === 0) throw new SwitchoverError(`the sentinels know no replica of ${o.access.name} they could promote (${view.replicas.map((r) => `${r.host}:${r.port} ${r.flags}`).join(', ') || 'none'})`, true);
  const primary = nodeConnection(view.primary, o.creds);
  const replicas = candidates.map((c) => nodeConnection({ host: c.host, port: c.port }, o.creds));
  const sentinel = sentinelConnection(view.sentinel, o.access);
  const sub = sentinelConnection(view.sentinel, o.access);
  let renew: NodeJS.Timeout | undefined;
  let paused = false;
  let switched = false;
  let failoverAsked = false;
  try {
    await Promise.all([primary.connect(), sentinel.connect(), sub.connect(), ...replicas.map((r) => r.connect())]);
    const before = await info(primary);
    if (before.role !== 'master') throw new SwitchoverError(`${at(view.primary)}, the sentinels' primary, answers as a ${before.role}: a failover may be under way; try again shortly`, true);
    // Subscribed before anything moves, so the announcement cannot be missed.
    let announced: ((to: HostPort) => void) | null = null;
    const announcement = new Promise<HostPort>((resolve) => (announced = resolve));
    sub.on('message', (_channel: string, message: string) => {
      const m = parseSwitchMaster(message);
      if (m && m.name === o.access.name) announced?.(m.to);
    });
    await sub.subscribe('+switch-master');

    const t0 = Date.now();
    await primary.call('CLIENT', 'PAUSE', pauseMs, 'WRITE');
    paused = true;
    renew = setInterval(() => void primary.call('CLIENT', 'PAUSE', pauseMs, 'WRITE').catch(() => undefined), Math.max(100, Math.floor(pauseMs / 3)));
    say(`writes paused on ${at(view.primary)}; waiting for ${candidates.length} replica${candidates.length === 1 ? '' : 's'} to catch up`);

    // 2. Every replica that could be promoted has everything the primary has.
    let offset = 0;
    const catchUpEnd = Date.now() + (o.catchUpMs ?? 5000);
    for (;;) {
      offset = (await info(primary)).offset;
      const states = await Promise.all(replicas.map(info));
      if (states.every((s) => s.linkUp && s.replicaOffset === offset)) break;
      if (Date.now() > catchUpEnd) {
        const behind = candidates.filter((_, i) => states[i]?.replicaOffset !== offset).map((c, i) => `${c.host}:${c.port} at ${states[i]?.replicaOffset ?? '?'}`);
        throw new SwitchoverError(`replicas did not catch up with offset ${offset} in time (${behind.join(', ')}); nothing was switched`, false);
      }
      await sleep(10);
    }
    const t1 = Date.now();
    say(`replicas at offset ${offset} after ${t1 - t0} ms; asking the sentinels to fail over`);

    // 3. The sentinels promote one of them (any: they are all complete) and announce it.
    failoverAsked = true;
    await sentinel.call('SENTINEL', 'FAILOVER', o.access.name);
    const t2 = Date.now();
    let promotedAt = 0;
    const switchEnd = t2 + (o.switchMs ?? 30_000);
    const polled = (async (): Promise<HostPort> => {
      for (;;) {
        if (promotedAt === 0) {
          const roles = await Promise.all(replicas.map((r) => info(r).catch(() => null)));
          if (roles.some((s) => s?.role === 'master')) promotedAt = Date.now();
        }
        const addr = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', o.access.name).catch(() => null)) as [string, string] | null;
        if (addr && at({ host: addr[0], port: Number(addr[1]) }) !== at(view.primary)) return { host: addr[0], port: Number(addr[1]) };
        if (Date.now() > switchEnd) throw new SwitchoverError(`the sentinels did not switch within ${o.switchMs ?? 30_000} ms`, false);
        await sleep(20);
      }
    })();
    // The sentinels name the promoted replica as soon as it is promoted (GET-MASTER-ADDR-BY-NAME,
    // which clients ask when they reconnect), before they announce +switch-master.
    const to = await Promise.race([announcement, polled]);
    polled.catch(() => undefined);
    switched = true;
    const t3 = Date.now();
    if (promotedAt === 0) promotedAt = t3;
    say(`the sentinels name ${at(to)} as the primary ${t3 - t2} ms after the failover began`);

    // 4. The old primary follows the new one before its held writes are let go.
    await primary.call('REPLICAOF', to.host, String(to.port));
    clearInterval(renew);
    await primary.call('CLIENT', 'UNPAUSE');
    paused = false;
    const t4 = Date.now();
    say(`${at(view.primary)} now replicates ${at(to)}; writes unpaused after ${t4 - t0} ms`);
    // The sentinels' own end of the failover (the other replicas re-pointed): nothing waits on it,
    // but the next switchover must not begin before it.
    const finished = await Promise.race([announcement.then(() => Date.now()), sleep(Math.max(0, switchEnd - Date.now())).then(() => null)]);
    if (finished === null) say(`the sentinels have not announced +switch-master yet; check SENTINEL MASTER ${o.access.name} before the next switchover`);
    return {
      from: view.primary, to, offset, replicas: candidates.length, catchUpMs: t1 - t0, promoteMs: promotedAt - t2, switchMs: t3 - t2, pausedMs: t4 - t0,
      announcedMs: finished === null ? null : finished - t2,
    };
  } catch (err) {
    clearInterval(renew);
    if (paused && !switched) {
      // Nothing switched: the primary takes writes again.
      await primary.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      const late = failoverAsked ? ' (if the sentinels still fail over now, that failover is not coordinated: check SENTINEL MASTER and the replicas)' : '';
      if (err instanceof SwitchoverError) throw new SwitchoverError(`${err.message}; writes resumed on ${at(view.primary)}${late}`, true);
      throw new SwitchoverError(`${(err as Error).message}; nothing was switched, writes resumed on ${at(view.primary)}`, true);
    }
    if (paused) {
      // Switched, but the old primary could not be re-pointed: left paused (until its last pause
      // runs out) so that it takes no write the new primary lacks; the sentinels re-point it.
      throw new SwitchoverError(`switched, but ${at(view.primary)} could not be made a replica (${(err as Error).message}); its writes stay paused for up to ${pauseMs} ms while the sentinels reconfigure it`, false);
    }
    throw err;
  } finally {
    for (const r of [primary, sentinel, sub, ...replicas]) r.disconnect();
  }
}
