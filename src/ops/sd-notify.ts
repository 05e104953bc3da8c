// systemd readiness (Type=notify). Node cannot write to NOTIFY_SOCKET (an AF_UNIX datagram
// socket) without a native addon, so the dependency-free way is `systemd-notify` as a child,
// which the unit allows with NotifyAccess=all. Outside systemd (no NOTIFY_SOCKET) it does nothing.
import { execFile } from 'node:child_process';
import type { RedisConnection } from '../redis/client.js';
import type { Logger } from '../log/logger.js';
import { connectRedis } from '../redis/client.js';

export type NotifyState = { ready: true; status: string } | { stopping: true };

/** Sends one state; false when not under systemd or systemd-notify failed (logged by the caller). */
export function sdNotify(state: NotifyState, env: NodeJS.ProcessEnv = process.env, bin = 'systemd-notify'): Promise<boolean> {
  if (!env.NOTIFY_SOCKET) return Promise.resolve(false);
  const args = 'ready' in state ? ['--ready', `--status=${state.status}`] : ['STOPPING=1'];
  return new Promise((resolve) => {
    execFile(bin, args, { env, timeout: 5000 }, (err) => resolve(err === null));
  });
}

/**
 * READY=1 once Redis answers and the Telegram watcher has started, or this process stands by for
 * it (at once in sandbox): until then `systemctl start` waits, and a daemon that cannot get
 * there fails the start instead.
 */
export async function notifyWhenReady(a: {
  redis: RedisConnection;
  watcherReady: Promise<void>;
  /** Whether the daemon is stopping or failed meanwhile: then nothing is sent. */
  gaveUp: () => boolean;
  status: string;
  log: Logger;
  env?: NodeJS.ProcessEnv;
}): Promise<boolean> {
  const env = a.env ?? process.env;
  if (!env.NOTIFY_SOCKET) return false;
  while (!(await connectRedis(a.redis, 1000))) if (a.gaveUp()) return false;
  await a.watcherReady;
  // A watcher that failed settles watcherReady and reports fatal in the same turn; let that land.
  await new Promise((r) => setImmediate(r));
  if (a.gaveUp()) return false;
  const sent = await sdNotify({ ready: true, status: a.status }, env);
  if (sent) a.log.info('told systemd the daemon is ready');
  else a.log.warn('NOTIFY_SOCKET is set but systemd-notify failed: is it installed (package systemd)?');
  return sent;
}
