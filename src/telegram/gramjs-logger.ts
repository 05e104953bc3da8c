// GramJS logs through its own Logger class, straight to console.log, and dumps raw error
// objects with console.error whenever `canSend("error")` is true. This subclass forwards
// every line to pino one level lower than GramJS's own (GramJS is chatty and recovers from
// most of what it calls errors; paycue logs the failures that matter itself) and answers
// `canSend` with false so the raw console dumps never happen.
// It must be passed as `baseLogger` to the TelegramClient constructor: setLogLevel comes
// too late for the first line ("Running gramJS version ...").
import { Logger as GramLogger, LogLevel } from 'telegram/extensions/Logger.js';
import type { Logger } from '../log/logger.js';

/** GramJS's connection lines, by the state they announce. While the connection flaps it repeats
 * them on every attempt; only the first line of each new state is logged (the rest at trace). */
function connectionState(message: string): 'up' | 'down' | null {
  if (/connection to .* complete|user is already connected/i.test(message)) return 'up';
  if (/disconnect|reconnect|connection closed|closed the connection|connection failed|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ECONNRESET/i.test(message)) return 'down';
  return null;
}

export class PinoGramLogger extends GramLogger {
  private readonly pino: Logger;
  private state: 'up' | 'down' | null = null;
  private suppressed = 0;

  constructor(log: Logger) {
    super(LogLevel.DEBUG);
    this.pino = log.child({ component: 'gramjs' });
  }

  override canSend(_level: LogLevel): boolean {
    return false;
  }

  override error(message: string): void {
    this.emit('warn', String(message));
  }

  override warn(message: string): void {
    this.emit('info', String(message));
  }

  override info(message: string): void {
    this.emit('debug', String(message));
  }

  /** One line per connection state change; everything else as it comes. */
  private emit(level: 'warn' | 'info' | 'debug', message: string): void {
    const state = connectionState(message);
    if (state !== null && state === this.state) {
      this.suppressed++;
      this.pino.trace(message);
      return;
    }
    if (state !== null) {
      // A state change is worth a line at the default level, whatever GramJS thought of it.
      const repeated = this.suppressed;
      this.state = state;
      this.suppressed = 0;
      this.pino[level === 'debug' ? 'info' : level](repeated > 0 ? { repeated_lines: repeated } : {}, message);
      return;
    }
    this.pino[level](message);
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
