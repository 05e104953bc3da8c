// Connects the Telegram watcher to the daemon: every bot message goes through the same
// MessageProcessor as the sandbox, keyed by (bot id, message id) so a repeat is a no-op.
import type { Redis } from 'ioredis';
import type { StartWatcher } from '../daemon/daemon.js';
import type { Logger } from '../log/logger.js';
import { connectRedis } from '../redis/client.js';
import { startTelegramWatcher } from './watcher.js';

/** The session lock and cursors live in Redis: wait for it rather than exit into a restart loop. */
async function waitForRedis(redis: Redis, log: Logger, isStopping: () => boolean): Promise<void> {
  let said = false;
  while (!(await connectRedis(redis, 1000))) {
    if (isStopping()) throw new Error('stopped while waiting for Redis');
    if (!said) log.warn('waiting for Redis before connecting to Telegram');
    said = true;
  }
}

export function telegramWatcherStarter(
  /** Tests pass a TelegramClient whose network calls answer from recorded data. */
  extra: Pick<Parameters<typeof startTelegramWatcher>[0], 'client'> = {},
): StartWatcher {
  return async ({ config, log, processor, ctx, onFatal, isStopping }) => {
    await waitForRedis(ctx.redis, log, isStopping);
    return startTelegramWatcher({
      ...extra,
      config,
      redis: ctx.redis,
      log,
      onFatal,
      handle: async (msg, key) => {
        await processor.processText(msg.text, msg.senderId, key);
      },
    });
  };
}
