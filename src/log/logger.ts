// pino: JSON lines for journald by default, readable lines with DEBUG=true.
// Secrets are redacted by path so a careless `log.info({ config })` cannot leak them.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'apiPassword', '*.apiPassword', 'webhookSecret', '*.webhookSecret', 'session', '*.session',
  'sessionString', '*.sessionString', 'password', '*.password', 'appHash', '*.appHash',
  'headers.authorization', '*.headers.authorization', 'pan', '*.pan', 'alertBotToken', '*.alertBotToken', 'token', '*.token',
];

/** Keeps only the last four digits of anything that looks like a card number (13-19 digits). */
export function maskCardNumbers(s: string): string {
  return s.replace(/\b(\d{6})[\d* ]{3,9}(\d{4})\b/g, '$1******$2');
}

/** pino's error serializer copies every property; ioredis errors carry `command.args`, which
 * for a reservation is a whole batch of requests' metadata. Keep the command's name only. */
function serializeError(e: unknown): unknown {
  const s = pino.stdSerializers.err(e as Error) as unknown;
  if (s && typeof s === 'object' && ('command' in s || 'previousErrors' in s)) {
    // previousErrors: the same command's earlier tries (EVALSHA before EVAL), arguments and all.
    const { command, previousErrors: _earlier, ...rest } = s as { command?: { name?: unknown }; previousErrors?: unknown };
    return { ...rest, ...(command ? { command: command.name } : {}) };
  }
  return s;
}

export function createLogger(opts: { debug: boolean; level?: string; destination?: DestinationStream }): Logger {
  const level = opts.level ?? (opts.debug ? 'debug' : 'info');
  const base = {
    level,
    base: { service: 'paycue' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (opts.destination) return pino(base, opts.destination);
  if (opts.debug) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino(base);
}
