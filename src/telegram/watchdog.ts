// Health check of the Telegram connection. GramJS can end up "connected" with requests that
// never complete (it keeps retrying forever), so every few minutes updates.GetState is sent
// with a timeout; after `maxFailures` consecutive failures `onFatal` is called so the daemon
// exits non-zero and systemd restarts it with a fresh connection. A revoked or duplicated
// session is fatal at once: retrying cannot fix it.
import { Api } from 'telegram';
import type { Logger } from '../log/logger.js';
import { RELOGIN_HINT, describeError, isAuthKeyDuplicated, isSessionRevoked, withTimeout } from './errors.js';

export const DEFAULT_WATCHDOG_INTERVAL_MS = 2 * 60_000;
export const DEFAULT_WATCHDOG_TIMEOUT_MS = 20_000;

export interface Watchdog {
  /** One check now (the timer calls this too). */
  check(): Promise<boolean>;
  stop(): void;
  readonly consecutiveFailures: number;
}

/** The message for a session Telegram no longer accepts. */
export function fatalSessionMessage(err: unknown): string | null {
  if (isAuthKeyDuplicated(err)) {
    return (
      'Telegram revoked the session because it was used by two processes at once (AUTH_KEY_DUPLICATED); ' +
      `stop the other process, then ${RELOGIN_HINT}`
    );
  }
  if (isSessionRevoked(err)) return `the Telegram session is no longer valid (${describeError(err)}); ${RELOGIN_HINT}`;
  return null;
}

export function startWatchdog(opts: {
  client: { invoke<R extends Api.AnyRequest>(request: R): Promise<R['__response']> };
  log: Logger;
  /** Exit code 2: a session Telegram no longer accepts (only a new login helps); 1: restart. */
  onFatal: (reason: string, exitCode: 1 | 2) => void;
  onResult?: (ok: boolean) => void;
  intervalMs?: number;
  timeoutMs?: number;
  maxFailures?: number;
}): Watchdog {
  const maxFailures = opts.maxFailures ?? 3;
  let failures = 0;
  let stopped = false;
  let running = false;
  const check = async (): Promise<boolean> => {
    if (stopped || running) return true;
    running = true;
    try {
      await withTimeout(opts.client.invoke(new Api.updates.GetState()), opts.timeoutMs ?? DEFAULT_WATCHDOG_TIMEOUT_MS, 'updates.GetState');
      if (failures > 0) opts.log.info({ after: failures }, 'telegram watchdog: connection healthy again');
      failures = 0;
      opts.onResult?.(true);
      return true;
    } catch (err) {
      if (stopped) return false;
      opts.onResult?.(false);
      const fatal = fatalSessionMessage(err);
      if (fatal) {
        stopped = true;
        opts.onFatal(fatal, 2);
        return false;
      }
      failures++;
      opts.log.warn({ err, failures, max_failures: maxFailures }, 'telegram watchdog: health check failed');
      if (failures >= maxFailures) {
        stopped = true;
        opts.onFatal(`Telegram has not answered ${failures} consecutive health checks (last: ${describeError(err)})`, 1);
      }
      return false;
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void check(), opts.intervalMs ?? DEFAULT_WATCHDOG_INTERVAL_MS);
  timer.unref();
  return {
    check,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    get consecutiveFailures() {
      return failures;
    },
  };
}
