// Connects the Telegram watcher to the daemon: every bot message goes through the same
// MessageProcessor as the sandbox, keyed by (bot id, message id) so a repeat is a no-op.
import type { StartWatcher } from '../daemon/daemon.js';
import { startTelegramWatcher } from './watcher.js';

export function telegramWatcherStarter(
  /** Tests pass a TelegramClient whose network calls answer from recorded data. */
  extra: Pick<Parameters<typeof startTelegramWatcher>[0], 'client'> = {},
): StartWatcher {
  return async ({ config, log, processor, ctx, onFatal }) =>
    startTelegramWatcher({
      ...extra,
      config,
      redis: ctx.redis,
      log,
      onFatal,
      handle: async (msg, key) => {
        await processor.processText(msg.text, msg.senderId, key);
      },
    });
}
