// The whole configuration, parsed once from the environment with zod. Every bad
// variable is reported together so an operator fixes them in one go.
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { z } from 'zod';
import { parseHostPorts } from '../redis/target.js';
import { parseDuration, parseDurationList } from './duration.js';
import { BOTS } from '../bot-messages/bots.js';
import { maskCardNumbers } from '../log/logger.js';
import { maskSessionStrings, sessionStringProblem } from '../telegram/session-string.js';

const bool = (def: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const s = v.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      ctx.addIssue({ code: 'custom', message: `expected true or false, got "${v}"` });
      return z.NEVER;
    });

const int = (def: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      if (!/^\d+$/.test(v.trim())) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number, got "${v}"` });
        return z.NEVER;
      }
      const n = Number(v.trim());
      if (n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be between ${min} and ${max}, got ${n}` });
        return z.NEVER;
      }
      return n;
    });

const duration = (def: string, minMs = 1) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const ms = parseDuration(v === undefined || v.trim() === '' ? def : v);
      if (ms === null || ms < minMs) {
        ctx.addIssue({ code: 'custom', message: `expected a duration like 500ms, 90s, 30m or 1h, got "${v}"` });
        return z.NEVER;
      }
      return ms;
    });

const lowerEnum = <const T extends string>(def: T, values: [T, ...T[]]) =>
  z
    .string()
    .optional()
    .transform((x) => (x && x.trim() ? x.trim().toLowerCase() : def))
    .pipe(z.enum(values));

const optionalEnum = <const T extends string>(values: [T, ...T[]]) =>
  z
    .string()
    .optional()
    .transform((x) => (x && x.trim() ? x.trim().toLowerCase() : undefined))
    .pipe(z.enum(values).optional());

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const httpUrl = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return undefined;
    let u: URL;
    try {
      u = new URL(v.trim());
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a valid URL (the value is not shown: it may hold credentials)' });
      return z.NEVER;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `must be an http:// or https:// URL, got "${u.protocol}"` });
      return z.NEVER;
    }
    return u.toString();
  });

/** `host:port,host:port`, or undefined when unset. */
const hostPortList = z
  .string()
  .optional()
  .transform((x, ctx) => {
    if (x === undefined || x.trim() === '') return undefined;
    const list = parseHostPorts(x);
    if (!list) {
      ctx.addIssue({ code: 'custom', message: 'expected host:port,host:port' });
      return z.NEVER;
    }
    return list;
  });

const validPort = (p: string) => /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535;

/** Why a REDIS_URL cannot work, or null. The value is not echoed: it may carry a password. */
function redisUrlProblem(raw: string): string | null {
  if (!/^rediss?:\/\//.test(raw)) return 'expected a redis:// or rediss:// URL';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'not a valid URL (like redis://:password@127.0.0.1:6379/0)';
  }
  if (!u.hostname) return 'names no host';
  if (u.port !== '' && !validPort(u.port)) return 'the port must be between 1 and 65535';
  if (u.pathname.length > 1 && !/^\/\d{1,2}$/.test(u.pathname)) return 'the path must be a database number, like /0';
  return null;
}

/** Why HOST cannot be listened on here, or null: an IP address of this machine, or localhost. */
function bindAddressProblem(host: string): string | null {
  if (host === 'localhost' || host === '0.0.0.0' || host === '::') return null;
  if (isIP(host) === 0) return `"${host}" is not an IP address: use 0.0.0.0 (every interface), 127.0.0.1 (this machine only) or one of its addresses`;
  const local = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
  if (local.includes(host)) return null;
  return `${host} is not an address of this machine (it has ${local.join(', ')}); use 0.0.0.0 or one of those`;
}

/** A configuration field: the variable it is read from and how it is parsed. */
const v = <S extends z.ZodType<unknown, string | undefined>>(env: string, schema: S) => ({ env, schema });
type Field = ReturnType<typeof v>;
type Parsed<F extends Record<string, Field>> = { [K in keyof F]: z.output<F[K]['schema']> };

const optionalInt = (min: number, max: number) =>
  int(0, min, max).transform((n) => (n === 0 ? undefined : n));

/** Everything any command reads: Redis, Telegram, amounts, webhooks. One list of names:
 * the Config type is inferred from it. */
const COMMON = {
  appId: v('APP_ID', optionalInt(1, 2 ** 31 - 1)),
  appHash: v('APP_HASH', optionalText.refine((x) => x === undefined || /^[0-9a-f]{32}$/i.test(x), 'expected 32 hex characters')),
  phone: v('TG_PHONE', optionalText),
  /** The account's string session (`paycue telegram export-session`), for hosts without a
   * writable disk: used instead of SESSION_DIR/telegram.session. A secret: never echoed. */
  telegramSession: v(
    'TELEGRAM_SESSION',
    optionalText.superRefine((x, ctx) => {
      const problem = x === undefined ? null : sessionStringProblem(x);
      if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (the value is not shown: it is the account's key)` });
    }),
  ),
  sessionDir: v(
    'SESSION_DIR',
    z
      .string()
      .optional()
      .transform((x) => (x && x.trim() ? x.trim() : 'sessions'))
      .refine((dir) => {
        try {
          return statSync(dir).isDirectory();
        } catch {
          return true; // created on first login
        }
      }, 'exists but is not a directory'),
  ),
  redisAddr: v(
    'REDIS_ADDR',
    z
      .string()
      .optional()
      .transform((x) => (x && x.trim() ? x.trim() : '127.0.0.1:6379'))
      .refine((x) => /^[^\s:]+:\d{1,5}$/.test(x), 'expected host:port')
      .refine((x) => validPort(x.slice(x.lastIndexOf(':') + 1)), 'the port must be between 1 and 65535'),
  ),
  redisUrl: v(
    'REDIS_URL',
    optionalText.superRefine((x, ctx) => {
      if (x === undefined) return;
      const problem = redisUrlProblem(x);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  ),
  redisPassword: v('REDIS_PASSWORD', optionalText),
  redisTlsCa: v(
    'REDIS_TLS_CA',
    optionalText.refine((x) => {
      if (x === undefined) return true;
      try {
        return statSync(x).isFile();
      } catch {
        return false;
      }
    }, 'expected a readable PEM file (the CA of a rediss:// Redis with a private certificate)'),
  ),
  redisSentinels: v('REDIS_SENTINELS', hostPortList),
  redisSentinelName: v('REDIS_SENTINEL_NAME', optionalText.refine((x) => x === undefined || /^[\w.-]{1,64}$/.test(x), 'letters, digits, _ . - only')),
  redisSentinelPassword: v('REDIS_SENTINEL_PASSWORD', optionalText),
  redisClusterNodes: v('REDIS_CLUSTER_NODES', hostPortList),
  /** Replicas that must have each acknowledged write (WAIT); default: 0 single node, 1 otherwise. */
  redisMinReplicas: v('REDIS_MIN_REPLICAS', int(-1, 0, 10).transform((n) => (n === -1 ? undefined : n))),
  redisAllowEviction: v('REDIS_ALLOW_EVICTION', bool(false)),
  redisPrefix: v(
    'REDIS_PREFIX',
    z
      .string()
      .optional()
      .transform((x) => (x && x.trim() ? x.trim() : 'paycue'))
      .refine((x) => /^[A-Za-z0-9_.:-]{1,64}$/.test(x), 'letters, digits, _ . : - only (at most 64)'),
  ),
  workers: v('WORKERS', int(10, 1, 1000)),
  webhookUrl: v('WEBHOOK_URL', httpUrl),
  webhookSecret: v(
    'WEBHOOK_SECRET',
    optionalText.refine((x) => x === undefined || /^whsec_[A-Za-z0-9+/]{16,}={0,2}$/.test(x), 'expected whsec_ followed by base64 of at least 12 bytes'),
  ),
  webhookRetries: v('WEBHOOK_RETRIES', int(3, 0, 100)),
  webhookBackoffMs: v(
    'WEBHOOK_BACKOFF',
    z
      .string()
      .optional()
      .transform((x, ctx) => {
        const list = parseDurationList(x && x.trim() ? x : '5s,30s,2m');
        if (!list) {
          ctx.addIssue({ code: 'custom', message: `expected comma-separated durations like 5s,30s,2m, got "${x}"` });
          return z.NEVER;
        }
        return list;
      }),
  ),
  webhookTimeoutMs: v('WEBHOOK_TIMEOUT', duration('10s', 100)),
  webhookSuccess: v('WEBHOOK_SUCCESS', lowerEnum('ok', ['ok', '2xx'])),
  /** Send a third event, `late_payment`, for a credit whose transaction was already cancelled. */
  webhookLatePayment: v('WEBHOOK_LATE_PAYMENT', bool(false)),
  watchId: v('WATCH_ID', int(BOTS.humo, 1, Number.MAX_SAFE_INTEGER)),
  watchCardXabar: v('WATCH_CARDXABAR', bool(false)),
  port: v('PORT', int(10800, 0, 65535)),
  host: v(
    'HOST',
    z
      .string()
      .optional()
      .transform((x) => (x && x.trim() ? x.trim() : '0.0.0.0')),
  ),
  debug: v('DEBUG', bool(false)),
  /** Unset: debug with DEBUG=true, else info. */
  logLevel: v('LOG_LEVEL', optionalEnum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])),
  /** Unset: pretty with DEBUG=true, else json. */
  logFormat: v('LOG_FORMAT', optionalEnum(['json', 'pretty'])),
  limit: v('LIMIT', int(100, 1, 1_000_000)),
  transactionTtlMs: v('TRANSACTION_TTL', duration('30m', 100)),
  amountStep: v('AMOUNT_STEP', lowerEnum('som', ['som', 'tiyin'])),
  amountDirection: v('AMOUNT_DIRECTION', lowerEnum('up', ['up', 'down'])),
  cards: v(
    'CARDS',
    z
      .string()
      .optional()
      .transform((x, ctx) => {
        const list = (x ?? '').split(',').map((c) => c.trim()).filter((c) => c !== '');
        const bad = list.filter((c) => !/^\d{4}$/.test(c));
        // A whole card number is a common mistake here; say so, masked (ConfigError masks the
        // rest too), and name the last 4 to write instead.
        const full = bad.map((c) => c.replace(/[ -]/g, '')).filter((c) => /^\d{13,19}$/.test(c));
        const other = bad.filter((c) => !/^\d{13,19}$/.test(c.replace(/[ -]/g, '')));
        const messages = [
          ...full.map((n) => `${maskCardNumbers(n)} is a full card number; give only its last 4 digits (${n.slice(-4)})`),
          ...(other.length > 0 ? [`expected last-4 digits like 7159,0042; bad: ${other.join(', ')}`] : []),
        ];
        if (messages.length > 0) {
          ctx.addIssue({ code: 'custom', message: messages.join('; ') });
          return z.NEVER;
        }
        return [...new Set(list)];
      }),
  ),
  sandbox: v('SANDBOX', bool(false)),
  quarantineMs: v('AMOUNT_QUARANTINE', duration('10m', 0)),
  quarantineShortOk: v('AMOUNT_QUARANTINE_SHORT_OK', bool(false)),
  /** Banks notify some seconds after the transfer: a deadline counts as passed only this long after it. */
  paymentGraceMs: v('PAYMENT_GRACE', duration('2m', 0)),
  /** Take the client address from X-Forwarded-For (set by the one reverse proxy in front). */
  trustProxy: v('TRUST_PROXY', bool(false)),
  // Pay page (src/pay-page): public base URL, open SSE stream cap, per-IP request budget.
  publicUrl: v('PUBLIC_URL', httpUrl.transform((x) => x?.replace(/\/+$/, ''))),
  payStreamsMax: v('PAY_STREAMS_MAX', int(2000, 0, 1_000_000)),
  payRateLimit: v('PAY_RATE_LIMIT', int(120, 0, 1_000_000)),
  payHeartbeatMs: v('PAY_HEARTBEAT', duration('20s', 1000)),
  /** all: API, workers and the Telegram watcher (a standby while another process holds it); api: no Telegram. */
  role: v('ROLE', lowerEnum('all', ['all', 'api'])),
  /** How soon a standby takes the watcher over from a holder that died (its lock lease). */
  telegramTakeoverMs: v('TELEGRAM_TAKEOVER', duration('30s', 1000)),
};

/** A Telegram chat or user id: groups are negative. */
const chatId = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return undefined;
    if (!/^-?\d{1,16}$/.test(v.trim()) || Number(v.trim()) === 0) {
      ctx.addIssue({ code: 'custom', message: `expected a Telegram user or group id like 123456789 or -1001234567890, got "${v}"` });
      return z.NEVER;
    }
    return Number(v.trim());
  });

/** ATTACH_TOLERANCE: a share of the credit's amount in hundredths of a percent, or fixed tiyin. */
export type AttachTolerance = { percentHundredths: number } | { tiyin: number };

/** `5%` (of the credit's amount, up to two decimals, at most 100%) or so'm (`500`, `0.50`): kept
 * in integers, hundredths of a percent or tiyin, so no float touches money. */
const attachTolerance = (def: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx): AttachTolerance => {
      const raw = v === undefined || v.trim() === '' ? def : v.trim();
      const m = /^(\d{1,12})(?:\.(\d{1,2}))?(%?)$/.exec(raw);
      const hundredths = m ? Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0')) : NaN;
      if (!m || (m[3] === '%' && hundredths > 10_000)) {
        ctx.addIssue({ code: 'custom', message: `expected a percentage of the credit like 5% or an amount in so'm like 500, got "${v}"` });
        return z.NEVER;
      }
      return m[3] === '%' ? { percentHundredths: hundredths } : { tiyin: hundredths };
    });

/** What only the daemon needs: the API's credentials, and the alert bot's. */
const DAEMON = {
  ...COMMON,
  /** The merchant's own bot (@BotFather) for alerts; without it no alert code runs. A secret. */
  alertBotToken: v(
    'ALERT_BOT_TOKEN',
    optionalText.refine((x) => x === undefined || /^\d{3,15}:[A-Za-z0-9_-]{30,}$/.test(x), 'expected a bot token from @BotFather like 123456789:AA… (the value is not shown)'),
  ),
  alertChatId: v('ALERT_CHAT_ID', chatId),
  alertAdmins: v(
    'ALERT_ADMINS',
    z
      .string()
      .optional()
      .transform((x, ctx) => {
        const list = (x ?? '').split(',').map((c) => c.trim()).filter((c) => c !== '');
        const bad = list.filter((c) => !/^\d{1,16}$/.test(c));
        if (bad.length > 0) {
          ctx.addIssue({ code: 'custom', message: `expected comma-separated Telegram user ids; bad: ${bad.join(', ')}` });
          return z.NEVER;
        }
        return list.map(Number);
      }),
  ),
  /** Another Bot API server (a local one); default Telegram's. */
  alertApiRoot: v('ALERT_API_ROOT', httpUrl),
  /** Which pending orders an open credit's alert offers to attach it to. */
  attachTolerance: v('ATTACH_TOLERANCE', attachTolerance('5%')),
  apiUsername: v('API_USERNAME', z.string({ error: 'required' }).min(1, 'required').refine((x) => !x.includes(':'), 'must not contain ":"')),
  apiPassword: v('API_PASSWORD', z.string({ error: 'required' }).refine((x) => x.trim() !== '', 'required (it is blank)')),
  /** Bearer token for GET /metrics; unset: /metrics is open (keep the port private). */
  metricsToken: v('METRICS_TOKEN', optionalText.refine((x) => x === undefined || /^[\x21-\x7e]{16,}$/.test(x), 'expected at least 16 printable characters without spaces')),
};

/** The settings every operator command (webhooks, credits, telegram) may read. */
export type OperatorConfig = Omit<Parsed<typeof COMMON>, 'redisUrl'> & { redisUrl: string };
/** The daemon's settings. */
export type Config = OperatorConfig & Omit<Parsed<typeof DAEMON>, keyof typeof COMMON>;

/** Below this a late bank message (they do arrive minutes late) can confirm the next customer's
 * order with the released amount, so a shorter quarantine must be asked for explicitly. */
export const SHORT_QUARANTINE_MS = 60_000;

const truthy = (x: string | undefined) => ['1', 'true', 'yes', 'on'].includes((x ?? '').trim().toLowerCase());

/** On the raw values, like missingOutsideSandbox, so it is reported with every other problem. */
function shortQuarantineWithoutOptIn(env: Record<string, string | undefined>): { variable: string; message: string }[] {
  const raw = env.AMOUNT_QUARANTINE;
  const ms = raw === undefined || raw.trim() === '' ? null : parseDuration(raw);
  if (ms === null || ms >= SHORT_QUARANTINE_MS || truthy(env.AMOUNT_QUARANTINE_SHORT_OK)) return [];
  return [{
    variable: 'AMOUNT_QUARANTINE',
    message: `${raw?.trim()} is under 1m: a late payment could confirm another customer's order; set AMOUNT_QUARANTINE_SHORT_OK=true to allow it anyway`,
  }];
}

/** The grace covers a bank's delay; the quarantine, which starts only after it, covers later ones. */
function graceOverQuarantine(env: Record<string, string | undefined>): { variable: string; message: string }[] {
  const ms = (raw: string | undefined, def: string) => parseDuration(raw === undefined || raw.trim() === '' ? def : raw);
  const grace = ms(env.PAYMENT_GRACE, '2m');
  const quarantine = ms(env.AMOUNT_QUARANTINE, '10m');
  // Unset, it is the shorter of 2m and the quarantine (graceWithinQuarantine).
  if (!env.PAYMENT_GRACE?.trim() || grace === null || quarantine === null || grace <= quarantine) return [];
  return [{
    variable: 'PAYMENT_GRACE',
    message: `${env.PAYMENT_GRACE.trim()} is longer than AMOUNT_QUARANTINE (${env.AMOUNT_QUARANTINE?.trim() || '10m'}): a payment the grace lets confirm must not find its amount released; set PAYMENT_GRACE at most the quarantine`,
  }];
}

/** The default grace never exceeds the quarantine (a short quarantine shortens it). */
function graceWithinQuarantine<T extends { paymentGraceMs: number; quarantineMs: number }>(c: T, env: Record<string, string | undefined>): T {
  return env.PAYMENT_GRACE?.trim() ? c : { ...c, paymentGraceMs: Math.min(c.paymentGraceMs, c.quarantineMs) };
}

/** Every variable paycue reads (for the look-alike warning). */
export const KNOWN_VARIABLES: readonly string[] = Object.values(DAEMON).map((f) => f.env);

/** Values copied from .env.example unchanged would start a daemon anyone could guess into. */
function placeholdersOutsideSandbox(env: Record<string, string | undefined>): { variable: string; message: string }[] {
  if (truthy(env.SANDBOX)) return [];
  const out: { variable: string; message: string }[] = [];
  if (/^change-me/i.test(env.API_PASSWORD?.trim() ?? '')) {
    out.push({ variable: 'API_PASSWORD', message: 'is still the .env.example placeholder: set a long random password (openssl rand -hex 24)' });
  }
  let host = '';
  try {
    host = new URL(env.WEBHOOK_URL?.trim() ?? '').hostname;
  } catch {
    /* reported by its own check */
  }
  if (/(^|\.)example(\.[a-z]+)+$/i.test(host) || /\.example$/i.test(host)) {
    out.push({ variable: 'WEBHOOK_URL', message: `points at ${host}, the .env.example placeholder: set your shop's webhook address` });
  }
  return out;
}

/** Only the daemon listens on HOST: operator commands run elsewhere with the same .env. */
function hostProblems(env: Record<string, string | undefined>): { variable: string; message: string }[] {
  const host = env.HOST?.trim();
  const problem = host ? bindAddressProblem(host) : null;
  return problem ? [{ variable: 'HOST', message: problem }] : [];
}

/** The test Telegram server (src/telegram/test-telegram.ts) is for paycue's own tests: set
 * anywhere else, it would send the merchant's login to another server. */
function testTelegramOutsideTests(env: Record<string, string | undefined>): { variable: string; message: string }[] {
  if (env.NODE_ENV === 'test') return [];
  return ['PAYCUE_TEST_TELEGRAM_DC', 'PAYCUE_TEST_TELEGRAM_RSA_KEY']
    .filter((k) => (env[k] ?? '').trim() !== '')
    .map((variable) => ({ variable, message: "for paycue's own tests only (honoured with NODE_ENV=test); unset it" }));
}

/** One Redis deployment at a time, fully described (on the raw values, reported with the rest). */
function redisModeProblems(env: Record<string, string | undefined>): { variable: string; message: string }[] {
  const set = (k: string) => (env[k] ?? '').trim() !== '';
  const out: { variable: string; message: string }[] = [];
  if (set('REDIS_SENTINELS') && set('REDIS_CLUSTER_NODES')) {
    out.push({ variable: 'REDIS_CLUSTER_NODES', message: 'set REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both' });
  }
  if (set('REDIS_SENTINELS') && !set('REDIS_SENTINEL_NAME')) {
    out.push({ variable: 'REDIS_SENTINEL_NAME', message: 'required with REDIS_SENTINELS: the name of the primary the sentinels monitor' });
  }
  if (set('REDIS_CLUSTER_NODES') && /\/\d+\s*$/.test(env.REDIS_URL ?? '') && !/\/0\s*$/.test(env.REDIS_URL ?? '')) {
    out.push({ variable: 'REDIS_URL', message: 'Redis Cluster has only database 0' });
  }
  return out;
}

/** The daemon refuses to watch Telegram or deliver webhooks without these (checked on the raw
 * values, so they are reported together with every other problem). */
const REQUIRED_OUTSIDE_SANDBOX = ['APP_ID', 'APP_HASH', 'WEBHOOK_URL'] as const;

function missingOutsideSandbox(env: Record<string, string | undefined>): { variable: string; message: string }[] {
  if (truthy(env.SANDBOX)) return [];
  return REQUIRED_OUTSIDE_SANDBOX.filter((k) => !env[k] || env[k]?.trim() === '' || env[k]?.trim() === '0').map((variable) => ({
    variable,
    message: 'required unless SANDBOX=true',
  }));
}

export class ConfigError extends Error {
  public readonly problems: { variable: string; message: string }[];

  /** Many messages quote the value they refuse ("got …"): a card number or a Telegram session
   * pasted into the wrong variable is masked here, for every message however it was made. */
  constructor(problems: { variable: string; message: string }[]) {
    const mask = (s: string) => maskSessionStrings(maskCardNumbers(s));
    const masked = problems.map((p) => ({ variable: mask(p.variable), message: mask(p.message) }));
    super('invalid configuration:\n' + masked.map((p) => `  ${p.variable}: ${p.message}`).join('\n'));
    this.problems = masked;
    this.name = 'ConfigError';
  }
}

/** Parses every field; throws ConfigError naming every bad variable at once. */
function parseFields<F extends Record<string, Field>>(
  fields: F,
  env: Record<string, string | undefined>,
  extra: { variable: string; message: string }[],
): Parsed<F> {
  const schema = z.object(Object.fromEntries(Object.values(fields).map((f) => [f.env, f.schema])));
  const r = schema.safeParse(env);
  const seen = new Map<string, string>();
  for (const issue of r.success ? [] : r.error.issues) {
    const variable = String(issue.path[0] ?? '?');
    if (!seen.has(variable)) seen.set(variable, issue.message);
  }
  for (const p of extra) if (!seen.has(p.variable)) seen.set(p.variable, p.message);
  if (!r.success || seen.size > 0) throw new ConfigError([...seen].map(([variable, message]) => ({ variable, message })));
  const data = r.data as Record<string, unknown>;
  return Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, data[f.env]])) as Parsed<F>;
}

const withRedisUrl = <T extends { redisUrl?: string; redisAddr: string }>(c: T) => ({ ...c, redisUrl: c.redisUrl ?? `redis://${c.redisAddr}` });

/** The alert bot needs a chat to write to. */
function alertsWithoutChat(env: Record<string, string | undefined>): { variable: string; message: string }[] {
  if (!env.ALERT_BOT_TOKEN?.trim() || env.ALERT_CHAT_ID?.trim()) return [];
  return [{ variable: 'ALERT_CHAT_ID', message: 'required with ALERT_BOT_TOKEN: the user or group id the alerts go to' }];
}

/** The daemon's configuration from the environment (already merged with `.env`). */
export function parseConfig(env: Record<string, string | undefined>): Config {
  return graceWithinQuarantine(withRedisUrl(
    parseFields(DAEMON, env, [
      ...hostProblems(env),
      ...missingOutsideSandbox(env), ...shortQuarantineWithoutOptIn(env), ...graceOverQuarantine(env), ...placeholdersOutsideSandbox(env), ...redisModeProblems(env),
      ...alertsWithoutChat(env), ...testTelegramOutsideTests(env),
    ]),
  ), env);
}

/** An operator command's configuration: no API credentials or webhook URL needed. */
export function parseOperatorConfig(env: Record<string, string | undefined>): OperatorConfig {
  return graceWithinQuarantine(withRedisUrl(parseFields(COMMON, env, [...redisModeProblems(env), ...graceOverQuarantine(env), ...testTelegramOutsideTests(env)])), env);
}
