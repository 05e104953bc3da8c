// The composition root: creates every connection and loop (Redis, expiry sweeper, webhook
// workers, the Telegram watcher outside sandbox, the HTTP API), wires them with the settings
// made by rules.ts, and closes them again in reverse order.
import { SHORT_QUARANTINE_MS, type Config } from '../config/env.js';
import type { Logger } from '../log/logger.js';
import { Metrics } from '../metrics/metrics.js';
import { Events } from '../events.js';
import { MessageProcessor } from '../matching/process-message.js';
import { connectRedis, createRedis, isRedisRefusingWrites } from '../redis/client.js';
import type { TelegramStore } from '../redis/commands.js';
import { createTxContext, type TxContext } from '../transactions/context.js';
import { startSweeper } from '../transactions/sweeper.js';
import { WebhookDispatcher, type DispatcherTimings } from '../webhooks/dispatcher.js';
import { createApp } from '../http/app.js';
import { startHttpServer } from '../http/server.js';
import type { ComponentState } from '../http/deps.js';
import type { BotMessageHandler, WatcherSettings } from '../telegram/types.js';
import { startHeartbeat } from '../ops/heartbeat.js';
import { redisDisplay } from '../ops/redis-connection.js';
import { VERSION } from '../version.js';
import { httpSettings, transactionRules, watchedBotsOf, watcherSettings, webhookSettings } from './rules.js';

/** The Telegram side as the daemon sees it; the real one lives in src/telegram. */
export interface Watcher {
  stop(): Promise<void>;
  status(): { connected: boolean; expiryAllowed: boolean; lastBotMessageAt: number | null; me?: { id: string; username?: string }; reconnects?: number };
}

export type StartWatcher = (args: {
  settings: WatcherSettings;
  store: TelegramStore;
  handle: BotMessageHandler;
  log: Logger;
  onFatal: (reason: string) => void;
  /** Resolves once Redis answers; rejects if the daemon stops first. */
  waitForRedis: () => Promise<void>;
  /** Aborted when the daemon stops while the watcher is still starting. */
  signal: AbortSignal;
}) => Promise<Watcher>;

export interface DaemonOptions {
  /** Outside sandbox: how to start the Telegram watcher (none: no watcher, Telegram stays down). */
  startWatcher?: StartWatcher;
  /** Faster loops for tests. */
  sweepIntervalMs?: number;
  dispatcherTimings?: DispatcherTimings;
}

export interface Daemon {
  port: number;
  ctx: TxContext;
  metrics: Metrics;
  processor: MessageProcessor;
  /** Resolves when something fatal (e.g. the Telegram watchdog) asks the process to exit. */
  fatal: Promise<string>;
  /** Settles once the Telegram watcher is running (or failed, see `fatal`); at once in sandbox. */
  watcherReady: Promise<void>;
  stop(deadlineMs?: number): Promise<void>;
}

export async function startDaemon(config: Config, log: Logger, opts: DaemonOptions = {}): Promise<Daemon> {
  const redisLog = log.child({ component: 'redis' });
  const redis = createRedis({ url: config.redisUrl, log: redisLog, name: 'paycue' });
  const blocking = createRedis({ url: config.redisUrl, log: redisLog, name: 'paycue-webhooks', commandTimeoutMs: 5000 });
  const [up] = await Promise.all([connectRedis(redis, 3000), connectRedis(blocking, 3000)]);
  if (!up) log.warn('redis is not reachable yet; the API answers 503 until it is');

  const ctx = createTxContext(redis, config.redisPrefix, transactionRules(config));
  if (config.quarantineMs < SHORT_QUARANTINE_MS) {
    log.warn({ quarantine_ms: config.quarantineMs }, 'AMOUNT_QUARANTINE is under 1 minute: a late payment may confirm the next order that gets the same amount');
  }
  let watcher: Watcher | undefined;
  const metrics = new Metrics({
    pendingTransactions: () => ctx.commands.pendingCount(),
    webhookBacklog: () => ctx.commands.webhookBacklog(),
    failedDeliveries: () => ctx.commands.failedCount(),
    openCredits: () => ctx.commands.unmatchedCount(),
    redisUp: () => redis.status === 'ready',
    ...(config.sandbox
      ? {}
      : {
          telegramConnected: () => watcher?.status().connected ?? false,
          lastBotMessageAt: () => watcher?.status().lastBotMessageAt ?? null,
          expiryHeld: () => watcher?.status().expiryAllowed !== true,
          telegramReconnects: () => watcher?.status().reconnects ?? 0,
        }),
  });
  const events = new Events(log.child({ component: 'lifecycle' }), metrics);
  const processor = new MessageProcessor({ ctx, events, bots: watchedBotsOf(config) });

  let fatalReason: (r: string) => void = () => undefined;
  const fatal = new Promise<string>((resolve) => {
    fatalReason = resolve;
  });

  const sweeper = startSweeper(ctx, log.child({ component: 'sweeper' }), {
    ...(opts.sweepIntervalMs !== undefined ? { intervalMs: opts.sweepIntervalMs } : {}),
    // Outside sandbox, a transaction only expires once the bank's messages have been read up to
    // now: while Telegram is down, or its history cannot be read, a payment may be waiting.
    canExpire: () => config.sandbox || watcher?.status().expiryAllowed === true,
    onSweep: (r) => events.transactionsExpired(r.expired),
  });

  const components = (): Record<string, ComponentState> => ({
    telegram: config.sandbox ? 'disabled' : watcher?.status().connected ? 'up' : 'down',
  });
  const app = createApp({
    settings: httpSettings(config),
    ctx,
    log: log.child({ component: 'http' }),
    metrics,
    events,
    processor,
    redisConnected: () => redis.status === 'ready',
    redisState: async () => {
      if (redis.status !== 'ready') return 'down';
      return ctx.commands.writeProbe().then(
        () => 'up' as const,
        (err: unknown) => (isRedisRefusingWrites(err) ? 'refusing_writes' : 'down'),
      );
    },
    components,
  });
  let http;
  try {
    http = await startHttpServer(app.fetch, config.host, config.port);
  } catch (err) {
    await sweeper.stop();
    redis.disconnect();
    blocking.disconnect();
    throw err;
  }

  const webhooks = webhookSettings(config, http.port);
  const dispatcher = new WebhookDispatcher({
    ctx,
    blocking,
    settings: webhooks,
    log,
    events,
    ...(opts.dispatcherTimings ? { timings: opts.dispatcherTimings } : {}),
  });
  await dispatcher.ensureGroup().catch(() => undefined); // retried by the loops if Redis is down
  dispatcher.start();

  // The watcher starts in the background: the API and the workers are already useful (and
  // the process stays stoppable) while it waits for Redis or connects to Telegram. If it
  // cannot start, that is fatal: the process exits non-zero with the reason.
  let stopping = false;
  const stopStarting = new AbortController();
  const tgLog = log.child({ component: 'telegram' });
  const waitForRedis = async (): Promise<void> => {
    let said = false;
    while (!(await connectRedis(redis, 1000))) {
      if (stopping) throw new Error('stopped while waiting for Redis');
      if (!said) tgLog.warn('waiting for Redis before connecting to Telegram');
      said = true;
    }
  };
  const watcherReady: Promise<void> =
    !config.sandbox && opts.startWatcher
      ? opts
          .startWatcher({
            settings: watcherSettings(config),
            store: ctx.commands,
            handle: async (msg, key) => {
              await processor.process(msg, key);
            },
            log,
            onFatal: fatalReason,
            waitForRedis,
            signal: stopStarting.signal,
          })
          .then(async (w) => {
            if (stopping) await w.stop();
            else watcher = w;
          })
          .catch((err: Error) => {
            if (!stopping) fatalReason(`telegram: ${err.message}`);
          })
      : Promise.resolve();

  const heartbeat = await startHeartbeat(ctx.commands, { sandbox: config.sandbox, telegram: () => watcher?.status() ?? null });

  log.info(
    {
      version: VERSION, host: config.host, port: http.port, sandbox: config.sandbox, cards: config.cards, workers: config.workers,
      redis: redisDisplay(config.redisUrl), prefix: config.redisPrefix,
      webhook: webhooks.target.display, signed: webhooks.secret !== undefined, transaction_ttl_s: config.transactionTtlMs / 1000,
    },
    'paycue is running',
  );

  return {
    port: http.port,
    ctx,
    metrics,
    processor,
    fatal,
    watcherReady,
    async stop(deadlineMs = 8000) {
      const started = Date.now();
      stopping = true;
      stopStarting.abort(); // a watcher still connecting gives up and releases the session lock
      await http.close();
      await Promise.race([watcherReady, new Promise((r) => setTimeout(r, 3000).unref())]);
      await watcher?.stop().catch((err: unknown) => log.warn({ err }, 'telegram watcher did not stop cleanly'));
      await sweeper.stop();
      await heartbeat.stop();
      await dispatcher.stop(Math.max(500, deadlineMs - (Date.now() - started) - 500));
      blocking.disconnect();
      await redis.quit().catch(() => redis.disconnect());
      log.info('paycue stopped');
    },
  };
}
