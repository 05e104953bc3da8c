// pino: JSON lines with level names by default (with journald priorities under systemd),
// readable lines with LOG_FORMAT=pretty or DEBUG=true.
// Secrets are redacted by path so a careless `log.info({ config })` cannot leak them.
import { fstatSync } from 'node:fs';
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'apiPassword', '*.apiPassword', 'webhookSecret', '*.webhookSecret', 'session', '*.session',
  'sessionString', '*.sessionString', 'telegramSession', '*.telegramSession', 'password', '*.password', 'appHash', '*.appHash',
  'headers.authorization', '*.headers.authorization', 'pan', '*.pan', 'alertBotToken', '*.alertBotToken', 'token', '*.token',
];

/** Keeps the first six and last four digits of anything that looks like a card number: 13-19
 * digits (some may already be `*`), also written in groups (`8600 1234 5678 4411`, dashes).
 * A negative number is not one (a Telegram group id, -1001234567890). */
export function maskCardNumbers(s: string): string {
  return s.replace(/(?<![\d-])\d(?:[ -]{0,2}[\d*]){11,17}[ -]{0,2}\d(?!\d)/g, (number) => {
    const compact = number.replace(/[ -]/g, '');
    return `${compact.slice(0, 6)}******${compact.slice(-4)}`;
  });
}

/** pino's error serializer copies every property; ioredis errors carry `command.args`, which
 * for a reservation is a whole batch of requests' metadata. Keep the command's name only. */
function serializeError(e: unknown): unknown {
  const s = pino.stdSerializers.err(e as Error) as unknown;
  // Redis quotes the start of an unknown command's arguments ("ERR unknown command 'eval', with
  // args beginning with: '--[[ Reserve…"): Lua source, or a request's metadata. Cut it off.
  if (s && typeof s === 'object' && typeof (s as { message?: unknown }).message === 'string') {
    const o = s as { message: string; stack?: string };
    const cut = (t: string) => t.replace(/, with args beginning with:.*$/gm, ', with args beginning with: (not logged)');
    o.message = cut(o.message);
    if (typeof o.stack === 'string') o.stack = cut(o.stack);
  }
  if (s && typeof s === 'object' && ('command' in s || 'previousErrors' in s)) {
    // previousErrors: the same command's earlier tries (EVALSHA before EVAL), arguments and all.
    const { command, previousErrors: _earlier, ...rest } = s as { command?: { name?: unknown }; previousErrors?: unknown };
    return { ...rest, ...(command ? { command: command.name } : {}) };
  }
  return s;
}

/** Drops userinfo and query strings from every http(s) URL in a text: attempt errors stored
 * before paycue scrubbed them (kept 7 days) may hold a WEBHOOK_URL's password or token. */
export function scrubUrls(text: string): string {
  return text.replace(/\b(https?:\/\/)(?:[^\s/@]*@)?([^\s?#]*)(?:\?[^\s#]*)?/g, '$1$2');
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'json' | 'pretty';

/** syslog priorities, which journald reads from a `<N>` line prefix (SyslogLevelPrefix=yes, the
 * default), so `journalctl -p warning` finds warnings. */
const PRIORITY: Record<string, number> = { trace: 7, debug: 7, info: 6, warn: 4, error: 3, fatal: 2 };

/** True when stdout is connected to journald: systemd sets JOURNAL_STREAM to its device:inode. */
export function stdoutIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const stream = env.JOURNAL_STREAM;
  if (!stream) return false;
  try {
    const st = fstatSync(1);
    return stream === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

/** Prefixes each JSON line with its journald priority, read from the level name it carries. */
function journaldPrefix(line: string): string {
  const level = /"level":"(\w+)"/.exec(line.slice(0, 40))?.[1] ?? 'info';
  return `<${PRIORITY[level] ?? 6}>${line}`;
}

export interface LoggerOptions {
  /** The old switch: debug level and readable lines unless `level`/`format` say otherwise. */
  debug?: boolean;
  level?: string;
  format?: LogFormat;
  /** Prefix JSON lines with journald priorities (default: when stdout is the journal). */
  journald?: boolean;
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const level = opts.level ?? (opts.debug ? 'debug' : 'info');
  const format = opts.format ?? (opts.debug ? 'pretty' : 'json');
  const journald = format === 'json' && (opts.journald ?? (opts.destination ? false : stdoutIsJournal()));
  const base = {
    level,
    base: { service: 'paycue' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(journald ? { hooks: { streamWrite: journaldPrefix } } : {}),
  };
  if (format === 'pretty' && !opts.destination) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  // "warn", not 40: readable in journalctl and greppable (pino-pretty wants the numbers).
  const json = { ...base, formatters: { level: (label: string) => ({ level: label }) } };
  if (opts.destination) return pino(json, opts.destination);
  return pino(json);
}
