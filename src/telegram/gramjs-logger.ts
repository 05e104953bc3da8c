// GramJS logs through its own Logger class, straight to console.log, and dumps raw error
// objects with console.error whenever `canSend("error")` is true. This subclass forwards
// every line to pino one level lower than GramJS's own (GramJS is chatty and recovers from
// most of what it calls errors; paycue logs the failures that matter itself) and answers
// `canSend` with false so the raw console dumps never happen.
// It must be passed as `baseLogger` to the TelegramClient constructor: setLogLevel comes
// too late for the first line ("Running gramJS version ...").
import { Logger as GramLogger, LogLevel } from 'telegram/extensions/Logger.js';
import type { Logger } from '../log/logger.js';

export class PinoGramLogger extends GramLogger {
  private readonly pino: Logger;

  constructor(log: Logger) {
    super(LogLevel.DEBUG);
    this.pino = log.child({ component: 'gramjs' });
  }

  override canSend(_level: LogLevel): boolean {
    return false;
  }

  override error(message: string): void {
    this.pino.warn(String(message));
  }

  override warn(message: string): void {
    this.pino.info(String(message));
  }

  override info(message: string): void {
    this.pino.debug(String(message));
  }

  override debug(message: string): void {
    this.pino.trace(String(message));
  }

  override log(level: LogLevel, message: string, _color: string): void {
    switch (level) {
      case LogLevel.ERROR:
        return this.error(message);
      case LogLevel.WARN:
        return this.warn(message);
      case LogLevel.INFO:
        return this.info(message);
      default:
        return this.debug(message);
    }
  }
}
