// Plugs the Telegram watcher into the daemon: it waits for Redis (the session lock and the
// cursors live there) rather than exiting into a restart loop, then starts watching. GramJS is
// loaded only here, so commands that never watch Telegram do not pay for it.
import type { TelegramClient } from 'telegram';
import type { StartWatcher } from './daemon.js';
import type { TelegramWatcherDeps } from '../telegram/watcher.js';

type Timings = Pick<TelegramWatcherDeps, 'catchUpIntervalMs' | 'retryBaseMs' | 'deadlineReadGapMs' | 'requestTimeoutMs' | 'degradedAfterMs' | 'lockRenewMs'>;

export function telegramStarter(
  /** Tests pass a TelegramClient whose network calls answer from recorded data (and faster loops). */
  extra: { client?: TelegramClient } & Timings = {},
): StartWatcher {
  const start: StartWatcher = async ({ settings, store, handle, log, onFatal, onDegraded, onLocked, waitForRedis, signal }) => {
    await waitForRedis();
    const { startTelegramWatcher } = await import('../telegram/watcher.js');
    return startTelegramWatcher({ ...extra, settings, store, log, onFatal, onDegraded, onLocked, handle, signal });
  };
  if (!extra.client) {
    start.preflight = async (settings) => {
      const { checkSavedSession } = await import('../telegram/open-session.js');
      await checkSavedSession(settings);
    };
  }
  return start;
}
