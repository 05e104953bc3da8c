// pino: JSON lines for journald by default, readable lines with DEBUG=true.
// Secrets are redacted by path so a careless `log.info({ config })` cannot leak them.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'apiPassword', '*.apiPassword', 'webhookSecret', '*.webhookSecret', 'session', '*.session',
  'sessionString', '*.sessionString', 'password', '*.password', 'appHash', '*.appHash',
  'headers.authorization', '*.headers.authorization', 'pan', '*.pan',
];

/** Keeps only the last four digits of anything that looks like a card number (13-19 digits). */
export function maskCardNumbers(s: string): string {
  return s.replace(/\b(\d{6})[\d* ]{3,9}(\d{4})\b/g, '$1******$2');
}

/** pino's error serializer, minus what ioredis attaches to a failed command: its arguments
 * (a script's arguments carry merchants' metadata) and the errors of earlier tries. */
function errSerializer(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  if (out && typeof out === 'object') {
    delete out.command;
    delete out.args;
    delete out.previousErrors;
  }
  return out;
}

export function createLogger(opts: { debug: boolean; level?: string; destination?: DestinationStream }): Logger {
  const level = opts.level ?? (opts.debug ? 'debug' : 'info');
  const base = {
    level,
    base: { service: 'paycue' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: errSerializer },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (opts.destination) return pino(base, opts.destination);
  if (opts.debug) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino(base);
}
