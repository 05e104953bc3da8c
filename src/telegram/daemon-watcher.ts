// Connects the Telegram watcher to the daemon: every bot message goes through the same
// MessageProcessor as the sandbox, keyed by (bot id, message id) so a repeat is a no-op.
import type { Config } from '../config/env.js';
import type { Logger } from '../log/logger.js';
import type { StartWatcher } from '../daemon/daemon.js';
import { startTelegramWatcher } from './watcher.js';

export function telegramWatcherStarter(config: Config, log: Logger): StartWatcher {
  return async ({ processor, ctx, onFatal }) =>
    startTelegramWatcher({
      config,
      redis: ctx.redis,
      log,
      onFatal,
      handle: async (msg, key) => {
        await processor.processText(msg.text, msg.senderId, key);
      },
    });
}
