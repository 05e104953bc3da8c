// One process per Telegram session: the same auth key used by two processes at once makes
// Telegram revoke it (AUTH_KEY_DUPLICATED). The lock is a Redis key set if absent for 30 s,
// renewed every 10 s by its holder and released with compare-and-delete, so a crashed holder
// frees it within 30 s and nobody ever deletes a lock that is not theirs. A lock held by a
// process of this host that no longer exists (killed, or stopped mid-connect) is taken over
// at once instead of after its 30 s. A holder that cannot renew (Redis unreachable from it, maybe
// not from a standby) while a standby is known lets the session go before its lease can run out,
// so that two processes never use the session at once: past `ttl - renew` without a renewal it
// reports the lock lost. Without a standby it keeps the session (no one else can take it over,
// and restarting would only silence its alerts).
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { TelegramStore } from '../redis/commands.js';
import type { Logger } from '../log/logger.js';
import { isRedisUnavailable } from '../redis/client.js';

export const LOCK_TTL_MS = 30_000;
export const LOCK_RENEW_MS = 10_000;

/** "host pid 1234" from a lock token. */
export function describeLockHolder(token: string): string {
  const [host, pid] = token.split('|');
  return host && pid ? `host ${host}, pid ${pid}` : 'another process';
}

let scope: string | undefined;

/** Machine id, boot id and pid namespace, hashed: where a pid is valid. '' when unknown. */
export function pidScope(): string {
  if (scope !== undefined) return scope;
  try {
    const machine = readFileSync('/etc/machine-id', 'utf8').trim();
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const ns = readlinkSync('/proc/self/ns/pid');
    scope = machine && boot && ns ? createHash('sha256').update(`${machine}|${boot}|${ns}`).digest('hex').slice(0, 16) : '';
  } catch {
    scope = '';
  }
  return scope;
}

/** True when `token` names a process of this host that is gone (its pid no longer exists). */
export function holderIsDead(token: string): boolean {
  const [host, pidText, , scope] = token.split('|');
  const pid = Number(pidText);
  // Pids mean something only in the same pid namespace of the same boot of the same machine:
  // host names repeat (cloned images, containers), so the whole scope must match.
  const mine = pidScope();
  if (mine === '' || scope !== mine || host !== hostname()) return false;
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: alive, another user's
  }
}

export class SessionLockedError extends Error {
  constructor(readonly holder: string) {
    super(`another paycue process (${holder}) is using this Telegram session`);
    this.name = 'SessionLockedError';
  }
}

export interface SessionLock {
  readonly token: string;
  /** Stops renewing and deletes the key if it is still ours. */
  release(): Promise<void>;
}

/**
 * Takes the lock or throws SessionLockedError. `onLost` is called (once) when renewal finds
 * that another process now holds the key, or when no renewal succeeded for `ttl - renew` (the
 * lease could expire before the next try): the caller must stop using the session.
 */
export async function acquireSessionLock(opts: {
  store: TelegramStore;
  log: Logger;
  onLost: (reason: string) => void;
  ttlMs?: number;
  renewMs?: number;
}): Promise<SessionLock> {
  const ttl = opts.ttlMs ?? LOCK_TTL_MS;
  const token = `${hostname()}|${process.pid}|${randomBytes(8).toString('hex')}|${pidScope()}`;
  if (!(await opts.store.lockAcquire(token, ttl))) {
    const holder = await opts.store.lockHolder().catch(() => null);
    if (holder && holderIsDead(holder) && (await opts.store.lockTakeOver(holder, token, ttl))) {
      opts.log.warn({ holder: describeLockHolder(holder) }, 'took over the Telegram session lock of a paycue process that is gone');
    } else {
      throw new SessionLockedError(holder ? describeLockHolder(holder) : 'another process');
    }
  }
  let released = false;
  let lost = false;
  const renewMs = opts.renewMs ?? LOCK_RENEW_MS;
  let confirmedAt = Date.now();
  let standbySeen = await opts.store.standbyPresent().catch(() => false);
  // Time to let go before the lease runs out: the next try may come too late, and the session
  // must be closed (an immediate destroy, see the watcher) before a standby can take the lock.
  const margin = Math.min(renewMs, 3000);
  const renew = async (): Promise<void> => {
    if (released || lost) return;
    const sentAt = Date.now(); // the lease runs from when Redis got the renewal: at the latest, now
    try {
      const r = await opts.store.lockRenew(token, ttl);
      if (released) return;
      if (r !== 'lost') {
        confirmedAt = sentAt;
        standbySeen = await opts.store.standbyPresent().catch(() => standbySeen);
      }
      if (r === 'retaken') opts.log.warn('telegram session lock had expired (Redis was unreachable); taken again');
      if (r === 'lost') {
        lost = true;
        const holder = await opts.store.lockHolder().catch(() => null);
        opts.onLost(`the Telegram session lock was taken by ${holder ? describeLockHolder(holder) : 'another process'}`);
      }
    } catch (err) {
      if (isRedisUnavailable(err)) opts.log.warn({ err }, 'cannot renew the telegram session lock: Redis unavailable');
      else opts.log.error({ err }, 'cannot renew the telegram session lock');
      const since = Date.now() - confirmedAt;
      if (!released && !lost && standbySeen && since + renewMs >= ttl - margin) {
        lost = true;
        opts.onLost(
          `the Telegram session lock could not be renewed for ${Math.round(since / 1000)} s: letting the session go before the lock expires, ` +
            'so that no other paycue process uses it at the same time (a restarted daemon takes it again once Redis answers)',
        );
      }
    }
  };
  const timer = setInterval(() => void renew(), renewMs);
  timer.unref();
  return {
    token,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      try {
        await opts.store.lockRelease(token);
      } catch (err) {
        opts.log.warn({ err }, 'could not release the telegram session lock; it expires by itself');
      }
    },
  };
}
