// Wires the parts together and owns their lifecycle: Redis, expiry sweeper, webhook workers,
// the Telegram watcher (outside sandbox) and the HTTP API. stop() undoes it in reverse.
import type { Config } from '../config/env.js';
import type { Logger } from '../log/logger.js';
import { Metrics } from '../metrics/metrics.js';
import { MessageProcessor } from '../matching/process-message.js';
import { connectRedis, createRedis } from '../redis/client.js';
import { createTxContext, rulesFromConfig, type TxContext } from '../transactions/context.js';
import { startSweeper } from '../transactions/sweeper.js';
import { WebhookDispatcher } from '../webhooks/dispatcher.js';
import { createApp } from '../http/app.js';
import { startHttpServer } from '../http/server.js';
import type { ComponentState } from '../http/deps.js';
import { USER_AGENT } from '../version.js';
import { BOTS } from '../bot-messages/bots.js';
import { CardDirectory } from '../cards/directory.js';
import { PayFeed } from '../pay-page/feed.js';
import { StreamRegistry } from '../pay-page/streams.js';

/** The Telegram side as the daemon sees it; the real one lives in src/telegram. */
export interface Watcher {
  stop(): Promise<void>;
  status(): { connected: boolean; lastBotMessageAt: number | null };
}

export type StartWatcher = (args: {
  config: Config;
  log: Logger;
  processor: MessageProcessor;
  ctx: TxContext;
  onFatal: (reason: string) => void;
  /** True once the daemon is shutting down: stop waiting and give up. */
  isStopping: () => boolean;
}) => Promise<Watcher>;

export interface Daemon {
  port: number;
  ctx: TxContext;
  metrics: Metrics;
  processor: MessageProcessor;
  /** CARDS plus the card registry, as this daemon sees it. */
  cards: CardDirectory;
  /** Resolves when something fatal (e.g. the Telegram watchdog) asks the process to exit. */
  fatal: Promise<string>;
  /** Settles once the Telegram watcher is running (or failed, see `fatal`); at once in sandbox. */
  watcherReady: Promise<void>;
  stop(deadlineMs?: number): Promise<void>;
}

export function watchedSenders(config: Config): number[] {
  return config.watchCardXabar ? [config.watchId, BOTS.cardxabar] : [config.watchId];
}

/** In sandbox without WEBHOOK_URL, webhooks go to our own /health/, as the original's default did. */
export function webhookUrl(config: Config, port: number): string {
  return config.webhookUrl ?? `http://127.0.0.1:${port}/health/`;
}

export async function startDaemon(config: Config, log: Logger, opts: { startWatcher?: StartWatcher } = {}): Promise<Daemon> {
  const redis = createRedis({ url: config.redisUrl, log, name: 'paycue' });
  const blocking = createRedis({ url: config.redisUrl, log, name: 'paycue-webhooks', commandTimeoutMs: 5000 });
  const [up] = await Promise.all([connectRedis(redis, 3000), connectRedis(blocking, 3000)]);
  if (!up) log.warn('redis is not reachable yet; the API answers 503 until it is');

  const ctx = createTxContext(redis, config.redisPrefix, rulesFromConfig(config));
  // The card list creates and credits use is CARDS plus the registry, kept current in memory.
  const cards = new CardDirectory(redis, ctx.keys, config.cards, log);
  Object.defineProperty(ctx.rules, 'cards', { get: () => cards.universe(), enumerable: true });
  if (up) await cards.refresh();
  cards.start();
  // One subscriber connection feeds every waiting pay page and registry change.
  const payFeed = new PayFeed(config.redisUrl, ctx.keys, () => void cards.refresh(), log);
  payFeed.start();
  const payStreams = new StreamRegistry(config.payStreamsMax);
  let watcher: Watcher | undefined;
  const metrics = new Metrics({
    pendingTransactions: () => redis.zcard(ctx.keys.deadlines),
    webhookBacklog: async () => (await redis.xlen(ctx.keys.events)) + (await redis.zcard(ctx.keys.retries)),
    ...(config.sandbox
      ? {}
      : {
          telegramConnected: () => watcher?.status().connected ?? false,
          lastBotMessageAt: () => watcher?.status().lastBotMessageAt ?? null,
        }),
  });
  const processor = new MessageProcessor({ ctx, log, metrics, watchedSenders: watchedSenders(config) });

  let fatalReason: (r: string) => void = () => undefined;
  const fatal = new Promise<string>((resolve) => {
    fatalReason = resolve;
  });

  const sweeper = startSweeper(ctx, log, {
    // Outside sandbox, a transaction only expires while the bank's messages can be read: while
    // Telegram is down its payment may already be waiting in the chat, to be caught up.
    canExpire: () => config.sandbox || watcher?.status().connected === true,
    onSweep: (r) => {
      if (r.expired.length > 0) metrics.transactions.inc({ event: 'expired' }, r.expired.length);
    },
  });

  const components = (): Record<string, ComponentState> => ({
    telegram: config.sandbox ? 'disabled' : watcher?.status().connected ? 'up' : 'down',
  });
  const app = createApp({ config, ctx, log, metrics, processor, components, cards, payFeed, payStreams });
  let http;
  try {
    http = await startHttpServer(app.fetch, config.host, config.port);
  } catch (err) {
    await sweeper.stop();
    cards.stop();
    payFeed.stop();
    redis.disconnect();
    blocking.disconnect();
    throw err;
  }

  const dispatcher = new WebhookDispatcher(
    ctx,
    blocking,
    {
      url: webhookUrl(config, http.port),
      ...(config.webhookSecret ? { secret: config.webhookSecret } : {}),
      workers: config.workers,
      retries: config.webhookRetries,
      backoffMs: config.webhookBackoffMs,
      timeoutMs: config.webhookTimeoutMs,
      success: config.webhookSuccess,
      userAgent: USER_AGENT,
    },
    log,
    metrics,
  );
  await dispatcher.ensureGroup().catch(() => undefined); // retried by the loops if Redis is down
  dispatcher.start();

  // The watcher starts in the background: the API and the workers are already useful (and
  // the process stays stoppable) while it waits for Redis or connects to Telegram. If it
  // cannot start, that is fatal: the process exits non-zero with the reason.
  let stopping = false;
  const watcherReady: Promise<void> =
    !config.sandbox && opts.startWatcher
      ? opts
          .startWatcher({ config, log, processor, ctx, onFatal: fatalReason, isStopping: () => stopping })
          .then(async (w) => {
            if (stopping) await w.stop();
            else watcher = w;
          })
          .catch((err: Error) => fatalReason(`telegram: ${err.message}`))
      : Promise.resolve();

  log.info(
    { host: config.host, port: http.port, sandbox: config.sandbox, cards: cards.universe(), workers: config.workers, public_url: config.publicUrl },
    'paycue is running',
  );

  return {
    port: http.port,
    ctx,
    metrics,
    processor,
    cards,
    fatal,
    watcherReady,
    async stop(deadlineMs = 8000) {
      const started = Date.now();
      stopping = true;
      payStreams.closeAll();
      await http.close();
      // A watcher still connecting is not waited for: it stops itself once it is up.
      await Promise.race([watcherReady, new Promise((r) => setTimeout(r, 2000).unref())]);
      await watcher?.stop().catch((err) => log.warn({ err: (err as Error).message }, 'telegram watcher did not stop cleanly'));
      await sweeper.stop();
      await dispatcher.stop(Math.max(500, deadlineMs - (Date.now() - started) - 500));
      cards.stop();
      payFeed.stop();
      await redis.quit().catch(() => redis.disconnect());
      log.info('paycue stopped');
    },
  };
}
