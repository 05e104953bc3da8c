// The whole configuration, parsed once from the environment with zod. Every bad
// variable is reported together so an operator fixes them in one go.
import { z } from 'zod';
import { parseDuration, parseDurationList } from './duration.js';
import { BOTS } from '../bot-messages/bots.js';

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
      ctx.addIssue({ code: 'custom', message: `not a valid URL: "${v}"` });
      return z.NEVER;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `must be an http:// or https:// URL, got "${u.protocol}"` });
      return z.NEVER;
    }
    return u.toString();
  });

const schema = z
  .object({
    APP_ID: int(0, 1, 2 ** 31 - 1).optional(),
    APP_HASH: optionalText.refine((v) => v === undefined || /^[0-9a-f]{32}$/i.test(v), 'expected 32 hex characters'),
    TG_PHONE: optionalText,
    SESSION_DIR: z.string().optional().transform((v) => (v && v.trim() ? v.trim() : 'sessions')),
    REDIS_ADDR: z
      .string()
      .optional()
      .transform((v) => (v && v.trim() ? v.trim() : '127.0.0.1:6379'))
      .refine((v) => /^[^\s:]+:\d{1,5}$/.test(v), 'expected host:port'),
    REDIS_URL: optionalText.refine(
      (v) => v === undefined || /^rediss?:\/\//.test(v),
      'expected a redis:// or rediss:// URL',
    ),
    REDIS_PREFIX: z
      .string()
      .optional()
      .transform((v) => (v && v.trim() ? v.trim() : 'paycue'))
      .refine((v) => /^[A-Za-z0-9_.:-]{1,64}$/.test(v), 'letters, digits, _ . : - only (at most 64)'),
    WORKERS: int(10, 1, 1000),
    WEBHOOK_URL: httpUrl,
    WEBHOOK_SECRET: optionalText.refine(
      (v) => v === undefined || /^whsec_[A-Za-z0-9+/]{16,}={0,2}$/.test(v),
      'expected whsec_ followed by base64 of at least 12 bytes',
    ),
    WEBHOOK_RETRIES: int(3, 0, 100),
    WEBHOOK_BACKOFF: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const list = parseDurationList(v && v.trim() ? v : '5s,30s,2m');
        if (!list) {
          ctx.addIssue({ code: 'custom', message: `expected comma-separated durations like 5s,30s,2m, got "${v}"` });
          return z.NEVER;
        }
        return list;
      }),
    WEBHOOK_TIMEOUT: duration('10s', 100),
    WEBHOOK_SUCCESS: z
      .string()
      .optional()
      .transform((v) => (v && v.trim() ? v.trim().toLowerCase() : 'ok'))
      .pipe(z.enum(['ok', '2xx'])),
    WATCH_ID: int(BOTS.humo, 1, Number.MAX_SAFE_INTEGER),
    WATCH_CARDXABAR: bool(false),
    PORT: int(10800, 0, 65535),
    HOST: z.string().optional().transform((v) => (v && v.trim() ? v.trim() : '0.0.0.0')),
    DEBUG: bool(false),
    LIMIT: int(100, 1, 1_000_000),
    API_USERNAME: z.string({ error: 'required' }).min(1, 'required').refine((v) => !v.includes(':'), 'must not contain ":"'),
    API_PASSWORD: z.string({ error: 'required' }).min(1, 'required'),
    TRANSACTION_TTL: duration('30m', 100),
    AMOUNT_STEP: z
      .string()
      .optional()
      .transform((v) => (v && v.trim() ? v.trim().toLowerCase() : 'som'))
      .pipe(z.enum(['som', 'tiyin'])),
    AMOUNT_DIRECTION: z
      .string()
      .optional()
      .transform((v) => (v && v.trim() ? v.trim().toLowerCase() : 'up'))
      .pipe(z.enum(['up', 'down'])),
    CARDS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const list = (v ?? '').split(',').map((c) => c.trim()).filter((c) => c !== '');
        const bad = list.filter((c) => !/^\d{4}$/.test(c));
        if (bad.length > 0) {
          ctx.addIssue({ code: 'custom', message: `expected last-4 digits like 7159,0042; bad: ${bad.join(', ')}` });
          return z.NEVER;
        }
        return [...new Set(list)];
      }),
    SANDBOX: bool(false),
    AMOUNT_QUARANTINE: duration('10m', 0),
    // Pay page (src/pay-page): public base URL, open SSE stream cap, per-IP request budget.
    PUBLIC_URL: httpUrl.transform((v) => v?.replace(/\/+$/, '')),
    PAY_STREAMS_MAX: int(2000, 0, 1_000_000),
    PAY_RATE_LIMIT: int(120, 0, 1_000_000),
    TRUST_PROXY: bool(false),
    PAY_HEARTBEAT: duration('20s', 1000),
  });

const REQUIRED_OUTSIDE_SANDBOX = ['APP_ID', 'APP_HASH', 'WEBHOOK_URL'] as const;

/** Checked on the raw values, so these are reported together with every other problem
 * (a zod refinement would only run once everything else is valid). */
function missingOutsideSandbox(env: Record<string, string | undefined>): { variable: string; message: string }[] {
  const sandbox = ['1', 'true', 'yes', 'on'].includes((env.SANDBOX ?? '').trim().toLowerCase());
  if (sandbox) return [];
  return REQUIRED_OUTSIDE_SANDBOX.filter((k) => !env[k] || env[k]?.trim() === '' || env[k]?.trim() === '0').map((variable) => ({
    variable,
    message: 'required unless SANDBOX=true',
  }));
}

export type Env = z.output<typeof schema>;

export interface Config {
  appId?: number;
  appHash?: string;
  phone?: string;
  sessionDir: string;
  redisUrl: string;
  redisPrefix: string;
  workers: number;
  webhookUrl?: string;
  webhookSecret?: string;
  webhookRetries: number;
  webhookBackoffMs: number[];
  webhookTimeoutMs: number;
  webhookSuccess: 'ok' | '2xx';
  watchId: number;
  watchCardXabar: boolean;
  port: number;
  host: string;
  debug: boolean;
  limit: number;
  apiUsername: string;
  apiPassword: string;
  transactionTtlMs: number;
  amountStep: 'som' | 'tiyin';
  amountDirection: 'up' | 'down';
  cards: string[];
  sandbox: boolean;
  quarantineMs: number;
  publicUrl?: string;
  payStreamsMax: number;
  /** Public page requests per client IP per minute; 0 = no limit. */
  payRateLimit: number;
  trustProxy: boolean;
  /** Comment lines on idle status streams, so proxies do not close them. */
  payHeartbeatMs: number;
}

export class ConfigError extends Error {
  constructor(public readonly problems: { variable: string; message: string }[]) {
    super(
      'invalid configuration:\n' + problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Parses the environment (already merged with `.env`). Throws ConfigError naming every bad variable. */
export function parseConfig(env: Record<string, string | undefined>, opts: { daemon?: boolean } = {}): Config {
  // Operator commands (webhooks, credits, telegram) need Redis and Telegram settings, not the
  // HTTP credentials or the webhook URL, so only the daemon insists on those.
  const daemon = opts.daemon ?? true;
  const input = daemon
    ? env
    : { ...env, SANDBOX: 'true', API_USERNAME: env.API_USERNAME || 'unused', API_PASSWORD: env.API_PASSWORD || 'unused' };
  const r = schema.safeParse(input);
  const seen = new Map<string, string>();
  for (const issue of r.success ? [] : r.error.issues) {
    const variable = String(issue.path[0] ?? '?');
    if (!seen.has(variable)) seen.set(variable, issue.message);
  }
  for (const p of missingOutsideSandbox(input)) if (!seen.has(p.variable)) seen.set(p.variable, p.message);
  if (!r.success || seen.size > 0) {
    throw new ConfigError([...seen].map(([variable, message]) => ({ variable, message })));
  }
  const e = r.data;
  return {
    appId: e.APP_ID === 0 ? undefined : e.APP_ID,
    appHash: e.APP_HASH,
    phone: e.TG_PHONE,
    sessionDir: e.SESSION_DIR,
    redisUrl: e.REDIS_URL ?? `redis://${e.REDIS_ADDR}`,
    redisPrefix: e.REDIS_PREFIX,
    workers: e.WORKERS,
    webhookUrl: e.WEBHOOK_URL,
    webhookSecret: e.WEBHOOK_SECRET,
    webhookRetries: e.WEBHOOK_RETRIES,
    webhookBackoffMs: e.WEBHOOK_BACKOFF,
    webhookTimeoutMs: e.WEBHOOK_TIMEOUT,
    webhookSuccess: e.WEBHOOK_SUCCESS,
    watchId: e.WATCH_ID,
    watchCardXabar: e.WATCH_CARDXABAR,
    port: e.PORT,
    host: e.HOST,
    debug: e.DEBUG,
    limit: e.LIMIT,
    apiUsername: e.API_USERNAME,
    apiPassword: e.API_PASSWORD,
    transactionTtlMs: e.TRANSACTION_TTL,
    amountStep: e.AMOUNT_STEP,
    amountDirection: e.AMOUNT_DIRECTION,
    cards: e.CARDS,
    sandbox: daemon ? e.SANDBOX : ['1', 'true', 'yes', 'on'].includes((env.SANDBOX ?? '').trim().toLowerCase()),
    quarantineMs: e.AMOUNT_QUARANTINE,
    publicUrl: e.PUBLIC_URL,
    payStreamsMax: e.PAY_STREAMS_MAX,
    payRateLimit: e.PAY_RATE_LIMIT,
    trustProxy: e.TRUST_PROXY,
    payHeartbeatMs: e.PAY_HEARTBEAT,
  };
}
