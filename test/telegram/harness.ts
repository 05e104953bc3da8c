// Starts a watcher against a RecordedTelegram and the test Redis, and cleans up after.
import type { Redis } from 'ioredis';
import { closeAllRedis, openRedis, uniquePrefix } from '../helpers/redis.js';
import { startTelegramWatcher, type BotMessage, type BotMessageHandler, type TelegramWatcher } from '../../src/telegram/watcher.js';
import type { Config } from '../../src/config/env.js';
import { Commands } from '../../src/redis/commands.js';
import { watcherSettings } from '../../src/daemon/rules.js';

/** The watcher's settings and its Redis store, as the daemon would hand them over. */
export function telegramDeps(config: Config, redis: Redis) {
  return { settings: watcherSettings(config), store: Commands.forPrefix(redis, config.redisPrefix) };
}
import { captureLog, RecordedTelegram, removeTempDirs, tempDir, testConfig } from './helpers.js';

export interface Harness {
  watcher: TelegramWatcher;
  client: RecordedTelegram;
  handled: { msg: BotMessage; key: string }[];
  fatal: string[];
  redis: Redis;
  prefix: string;
  config: Config;
  logs: ReturnType<typeof captureLog>;
}

export interface HarnessOptions {
  client?: RecordedTelegram;
  prefix?: string;
  sessionDir?: string;
  cardxabar?: boolean;
  handle?: BotMessageHandler;
  /** Called before the watcher starts (seed history, script failures). */
  prepare?: (client: RecordedTelegram) => void;
  catchUpIntervalMs?: number;
  watchdogIntervalMs?: number;
  watchdogTimeoutMs?: number;
  connectTimeoutMs?: number;
  lockRenewMs?: number;
  retryBaseMs?: number;
  requestTimeoutMs?: number;
  env?: Record<string, string>;
}

const started: TelegramWatcher[] = [];

export async function harness(opts: HarnessOptions = {}): Promise<Harness> {
  const redis = await openRedis();
  const prefix = opts.prefix ?? uniquePrefix();
  const sessionDir = opts.sessionDir ?? (await tempDir());
  const config = testConfig({
    REDIS_PREFIX: prefix,
    SESSION_DIR: sessionDir,
    WATCH_CARDXABAR: opts.cardxabar ? 'true' : 'false',
    ...opts.env,
  });
  const logs = captureLog();
  const client = opts.client ?? new RecordedTelegram(logs.log);
  opts.prepare?.(client);
  const handled: Harness['handled'] = [];
  const fatal: string[] = [];
  const handle: BotMessageHandler =
    opts.handle ??
    (async (msg, key) => {
      handled.push({ msg, key });
    });
  const watcher = await startTelegramWatcher({
    ...telegramDeps(config, redis),
    log: logs.log,
    handle,
    onFatal: (r) => fatal.push(r),
    client,
    catchUpIntervalMs: opts.catchUpIntervalMs ?? 3_600_000,
    watchdogIntervalMs: opts.watchdogIntervalMs ?? 3_600_000,
    watchdogTimeoutMs: opts.watchdogTimeoutMs,
    connectTimeoutMs: opts.connectTimeoutMs,
    lockRenewMs: opts.lockRenewMs,
    retryBaseMs: opts.retryBaseMs ?? 3_600_000,
    ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
  });
  started.push(watcher);
  return { watcher, client, handled, fatal, redis, prefix, config, logs };
}

export async function cleanup(): Promise<void> {
  await Promise.all(started.splice(0).map((w) => w.stop()));
  await closeAllRedis();
  await removeTempDirs();
}
