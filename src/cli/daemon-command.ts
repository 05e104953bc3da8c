// `paycue`: run the daemon until SIGTERM/SIGINT (exit 0) or a fatal condition (exit 1,
// so systemd's Restart=on-failure brings it back).
import type { Config } from '../config/env.js';
import { createLogger } from '../log/logger.js';
import { startDaemon } from '../daemon/daemon.js';
import { telegramStarter } from '../daemon/telegram.js';
import { logSettings } from '../daemon/rules.js';
import { notifyWhenReady, sdNotify } from '../ops/sd-notify.js';

const SHUTDOWN_DEADLINE_MS = 8000;

export async function runDaemon(config: Config): Promise<number> {
  const log = createLogger(logSettings(config));
  let daemon;
  try {
    daemon = await startDaemon(config, log, config.sandbox ? {} : { startWatcher: telegramStarter() });
  } catch (err) {
    log.fatal({ err }, 'paycue could not start');
    log.flush();
    return 1;
  }
  const d = daemon;
  let done = false;
  void notifyWhenReady({ redis: d.ctx.redis, watcherReady: d.watcherReady, gaveUp: () => done, status: `serving on port ${d.port}`, log });
  const reason = await new Promise<{ code: number; why: string }>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => resolve({ code: 0, why: sig });
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    // A closed terminal or `systemctl reload`: drain like SIGTERM rather than die at once.
    process.once('SIGHUP', onSignal);
    void d.fatal.then((why) => resolve({ code: 1, why }));
  });
  done = true;
  void sdNotify({ stopping: true });
  if (reason.code === 0) log.info({ reason: reason.why }, 'shutting down');
  else log.error({ reason: reason.why }, 'shutting down after a fatal error');
  // Whatever happens, the process is gone within 10 s.
  const hard = setTimeout(() => {
    log.error('shutdown took too long; exiting');
    log.flush();
    process.exit(reason.code || 1);
  }, SHUTDOWN_DEADLINE_MS + 1500);
  hard.unref();
  await d.stop(SHUTDOWN_DEADLINE_MS);
  await new Promise<void>((r) => log.flush(() => r()));
  return reason.code;
}
