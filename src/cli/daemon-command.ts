// `paycue`: run the daemon until SIGTERM/SIGINT/SIGHUP (exit 0) or a fatal condition: exit 1
// when a restart may help (systemd's Restart=on-failure brings it back), 2 when only the
// operator can fix it (RestartPreventExitStatus=2 stops the loop).
import type { Config } from '../config/env.js';
import { createLogger } from '../log/logger.js';
import { startDaemon } from '../daemon/daemon.js';
import { telegramStarter } from '../daemon/telegram.js';
import { StartupError } from '../daemon/startup-error.js';
import { logSettings } from '../daemon/rules.js';
import { notifyWhenReady, sdNotify } from '../ops/sd-notify.js';

const SHUTDOWN_DEADLINE_MS = 8000;

export async function runDaemon(config: Config, warnings: string[] = []): Promise<number> {
  const log = createLogger(logSettings(config));
  for (const w of warnings) log.warn(w);
  let daemon;
  try {
    daemon = await startDaemon(config, log, config.sandbox ? {} : { startWatcher: telegramStarter() });
  } catch (err) {
    if (err instanceof StartupError) log.fatal({ reason: err.message, exit_code: err.exitCode }, 'paycue could not start');
    else log.fatal({ err }, 'paycue could not start');
    await new Promise<void>((r) => log.flush(() => r()));
    return err instanceof StartupError ? err.exitCode : 1;
  }
  const d = daemon;
  let draining = false;
  void notifyWhenReady({ redis: d.ctx.redis, watcherReady: d.serving, gaveUp: () => draining, status: `serving on port ${d.port}`, log });
  const reason = await new Promise<{ code: number; why: string }>((resolve) => {
    // Listeners stay for the whole run: a second signal while draining must not kill the
    // process mid-shutdown (Node's default for an unhandled SIGTERM/SIGHUP).
    const onSignal = (sig: NodeJS.Signals) => {
      if (draining) log.info({ signal: sig }, 'already shutting down');
      else resolve({ code: 0, why: sig });
      draining = true;
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // A closed terminal or `systemctl reload`: drain like SIGTERM rather than die at once.
    process.on('SIGHUP', onSignal);
    void d.fatal.then((f) => {
      draining = true;
      resolve({ code: f.exitCode, why: f.reason });
    });
  });
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
