// The composition root: creates every connection and loop (Redis, expiry sweeper, webhook
// workers, the Telegram watcher outside sandbox, the HTTP API), wires them with the settings
// made by rules.ts, and closes them again in reverse order.
import { SHORT_QUARANTINE_MS, type Config } from '../config/env.js';
import type { Logger } from '../log/logger.js';
import { Metrics } from '../metrics/metrics.js';
import { Events } from '../events.js';
import { MessageProcessor } from '../matching/process-message.js';
import { serverFacts, serverMode } from '../redis/server-check.js';
import { redisKeys } from '../redis/keys.js';
import { connectRedis, createRedis, isRedisAuthError, type RedisConnection, isRedisRefusingWrites, lastRedisError } from '../redis/client.js';
import { StartupError, type ExitCode, type Fatal } from './startup-error.js';
import { TelegramStartError } from '../telegram/errors.js';
import { formatDuration } from '../config/duration.js';
import { VERSION } from '../version.js';
import { Commands, type Clock, type TelegramStore } from '../redis/commands.js';
import { Requirement } from '../replicas/requirement.js';
import { ReplicaGate } from '../replicas/gate.js';
import { refusalText, requirementWarning } from '../replicas/messages.js';
import { hostname } from 'node:os';
import { createTxContext, type TxContext } from '../transactions/context.js';
import { startSweeper } from '../transactions/sweeper.js';
import { WebhookDispatcher, type DispatcherTimings } from '../webhooks/dispatcher.js';
import { createApp } from '../http/app.js';
import { startHttpServer } from '../http/server.js';
import type { ComponentState } from '../http/deps.js';
import type { BotMessageHandler, TelegramStatus, WatcherSettings } from '../telegram/types.js';
import { expiryHealth } from '../transactions/expiry-state.js';
import { describeTarget } from '../redis/target.js';
import { alertSettings, httpSettings, standbyRetryMs, transactionRules, watchedBotsOf, watcherSettings, webhookSettings } from './rules.js';
import { redisTarget, sentinelAccess } from '../config/redis.js';
import { CardDirectory } from '../cards/directory.js';
import { PayFeed } from '../pay-page/feed.js';
import { StreamRegistry } from '../pay-page/streams.js';
import { startHeartbeat, type Heartbeat } from '../ops/heartbeat.js';
import { startAlerts } from '../alerts/alerts.js';
import type { AlertTimings } from '../alerts/settings.js';

/** The Telegram side as the daemon sees it; the real one lives in src/telegram. */
export interface Watcher {
  stop(): Promise<void>;
  status(): TelegramStatus;
  /** A deadline plus its grace, `dueInMs` from now, waits for the watermark: read the chats then. */
  readSoon?(dueInMs?: number): void;
}

export type StartWatcher = ((args: {
  settings: WatcherSettings;
  store: TelegramStore;
  handle: BotMessageHandler;
  log: Logger;
  /** Exit code 2: only the operator can fix it (a revoked session); 1: a restart may. */
  onFatal: (reason: string, exitCode: ExitCode) => void;
  /** The chat reads went bad for long (reason), or work again (null): tell the operator. */
  onDegraded: (reason: string | null) => void;
  /** The session lock is this process's: it is the one connecting (not a standby). */
  onLocked: () => void;
  /** Resolves once Redis answers; rejects if the daemon stops first. */
  waitForRedis: () => Promise<void>;
  /** Aborted when the daemon stops while the watcher is still starting. */
  signal: AbortSignal;
}) => Promise<Watcher>) & {
  /** Checks, before anything starts, what only the operator can fix (the saved session). */
  preflight?: (settings: WatcherSettings) => Promise<void>;
};

export interface DaemonOptions {
  /** Outside sandbox: how to start the Telegram watcher (none: no watcher, Telegram stays down). */
  startWatcher?: StartWatcher;
  /** Faster loops for tests. */
  sweepIntervalMs?: number;
  /** Tests move the shared clock with its offset (0: Redis's TIME as it is). */
  clock?: Clock;
  dispatcherTimings?: DispatcherTimings;
  alertTimings?: Partial<AlertTimings>;
  /** The replica gate's timings (tests: a replica silent for long still counts as connected). */
  replicaGate?: { pollMs?: number; maxLagSec?: number };
}

export interface Daemon {
  port: number;
  ctx: TxContext;
  metrics: Metrics;
  processor: MessageProcessor;
  /** CARDS plus the card registry, as this daemon sees it. */
  cards: CardDirectory;
  /** Resolves when something fatal (e.g. the Telegram watchdog) asks the process to exit. */
  fatal: Promise<Fatal>;
  /** Settles once the Telegram watcher is running (or failed, see `fatal`); at once in sandbox. */
  watcherReady: Promise<void>;
  /** Settles once the daemon does its job: the watcher runs, or this process is a standby for it
   * (another holds the session: it may wait for hours), or it failed (see `fatal`). */
  serving: Promise<void>;
  stop(deadlineMs?: number): Promise<void>;
}

/** The write connection's command timeout: a write queued behind another's WAIT (0.7 s) must not
 * time out on the client while Redis still answers it (that would read as an outage). */
const WRITER_TIMEOUT_MS = 2500;

/** Exit code for a watcher that could not start: 2 for TelegramStartError's permanent reasons. */
const exitCodeFor = (err: unknown): ExitCode => ((err as { permanent?: unknown }).permanent === true ? 2 : 1);

/** Listening failures a restart cannot fix, named by the variable that causes them. */
function listenError(err: unknown, config: Config): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new StartupError(`PORT: ${config.host}:${config.port} is already in use (another paycue?); stop it or choose another PORT`, 2);
  if (code === 'EADDRNOTAVAIL') return new StartupError(`HOST: ${config.host} is not an address of this machine`, 2);
  if (code === 'EACCES') return new StartupError(`PORT: ${config.port} needs root to listen on; use a port above 1023 (and a reverse proxy)`, 2);
  return err as Error;
}

/** Refuses a Redis that may evict money state; warns about one that forgets it on restart. */
async function checkServer(redis: RedisConnection, config: Config, log: Logger, closeAll: () => void): Promise<void> {
  const target = redisTarget(config);
  const mode = target.mode === 'single' ? await serverMode(redis) : null;
  if (mode === 'sentinel' || mode === 'cluster') {
    closeAll();
    const where = describeTarget(target);
    throw new StartupError(
      mode === 'sentinel'
        ? `REDIS_URL: ${where} is a Redis Sentinel, not a data node; set REDIS_SENTINELS=${where} (all your sentinels) and REDIS_SENTINEL_NAME to the master's name`
        : `REDIS_URL: ${where} is a Redis Cluster node; set REDIS_CLUSTER_NODES=${where} (and other nodes) so that every key goes to the node that owns it`,
      2,
    );
  }
  const facts = await serverFacts(redis);
  if (facts.evictionPolicy === null) log.warn('CONFIG GET is not allowed on this Redis: maxmemory-policy and persistence cannot be checked; make sure they are noeviction and AOF');
  else if (facts.evictionPolicy !== 'noeviction' && !config.redisAllowEviction) {
    closeAll();
    throw new StartupError(
      `Redis maxmemory-policy is ${facts.evictionPolicy}: under memory pressure it would silently delete transactions and undelivered webhooks; ` +
        'set maxmemory-policy noeviction (or REDIS_ALLOW_EVICTION=true to accept that risk)',
      2,
    );
  } else if (facts.evictionPolicy !== 'noeviction') log.warn({ policy: facts.evictionPolicy }, 'REDIS_ALLOW_EVICTION=true: Redis may evict money state under memory pressure');
  if (facts.persistence === 'none') log.warn('Redis has neither AOF nor RDB snapshots: a Redis restart forgets every pending transaction and undelivered webhook; set appendonly yes');
}

/** After a reconnect: the same checks as at start, as log lines (running on is safer than exiting). */
async function recheckServer(redis: RedisConnection, config: Config, log: Logger): Promise<void> {
  const facts = await serverFacts(redis).catch(() => null);
  if (!facts) return;
  if (facts.evictionPolicy !== null && facts.evictionPolicy !== 'noeviction' && !config.redisAllowEviction) {
    log.error({ policy: facts.evictionPolicy }, 'the Redis paycue now writes to may evict transactions and webhooks under memory pressure: set maxmemory-policy noeviction on it');
  }
  if (facts.persistence === 'none') log.warn('the Redis paycue now writes to has neither AOF nor RDB snapshots: set appendonly yes on it');
}

export async function startDaemon(config: Config, log: Logger, opts: DaemonOptions = {}): Promise<Daemon> {
  // ROLE=api never touches Telegram (no session needed); ROLE=all watches, or stands by for it.
  const watches = !config.sandbox && config.role === 'all';
  if (watches && opts.startWatcher?.preflight) {
    await opts.startWatcher.preflight(watcherSettings(config)).catch((err: unknown) => {
      throw new StartupError((err as Error).message, exitCodeFor(err));
    });
  }
  const redisLog = log.child({ component: 'redis' });
  // Three connections: reads and unacknowledged writes; acknowledged writes and their WAIT (which
  // blocks its connection, and covers only that connection's writes); the webhooks' blocking read.
  const redis = createRedis({ target: redisTarget(config), log: redisLog, name: 'paycue' });
  const writer = createRedis({ target: redisTarget(config), log: redisLog, name: 'paycue-writes', commandTimeoutMs: WRITER_TIMEOUT_MS, noResend: true });
  const blocking = createRedis({ target: redisTarget(config), log: redisLog, name: 'paycue-webhooks', commandTimeoutMs: 5000 });
  const closeAll = () => [redis, writer, blocking].forEach((c) => c.disconnect());
  const [up] = await Promise.all([connectRedis(redis, 3000), connectRedis(writer, 3000), connectRedis(blocking, 3000)]);
  if (!up && isRedisAuthError(lastRedisError(redis))) {
    closeAll();
    const why = (lastRedisError(redis) as Error).message.split(' ')[0];
    throw new StartupError(`REDIS_URL: Redis at ${describeTarget(redisTarget(config))} refused the credentials (${why}); set the right password in REDIS_URL`, 2);
  }
  if (!up) log.warn('redis is not reachable yet; the API answers 503 until it is');
  else await checkServer(redis, config, redisLog, closeAll);
  // Every later connection may be to another server (a failover, a Redis started after paycue):
  // it cannot refuse to start any more, but it says so loudly.
  redis.on('ready', () => void recheckServer(redis, config, redisLog));

  // How many replicas each acknowledged write needs, and the gate that refuses writes at once
  // while fewer are connected (README: High availability).
  const replicaCommands = new Commands(redis, redisKeys(config.redisPrefix), { replicas: 0, timeoutMs: 0, writer });
  const requirement = new Requirement({
    mode: redisTarget(config).mode, explicit: config.redisMinReplicas, redis, commands: replicaCommands, actor: `daemon:${hostname()}/${process.pid}`,
    ...(sentinelAccess(config) ? { sentinel: sentinelAccess(config) } : {}),
  });
  let gateStarted = false;
  const gate = new ReplicaGate({
    read: redis, commands: replicaCommands, requirement, log: redisLog, ...opts.replicaGate,
    onChange: (s) => {
      const why = refusalText(s);
      if (why) redisLog.warn({ required: s.required, connected: s.connected, reason: s.reason }, `writes refused: ${why}`);
      else if (gateStarted) redisLog.info({ required: s.required, connected: s.connected }, 'enough replicas are connected again: writes accepted');
    },
  });
  await gate.start();
  gateStarted = true;
  if (up) {
    if (requirement.firstSight) {
      const f = requirement.firstSight;
      redisLog.info({ replicas: f.replicas, shard: f.shard }, `recorded ${f.replicas} replicas for this deployment at first sight (${f.detail}): every acknowledged write waits for all of them unless REDIS_MIN_REPLICAS says otherwise; change the record only with paycue redis replicas set N`);
    }
    const warning = requirementWarning({ explicit: config.redisMinReplicas, recorded: requirement.recorded() });
    if (warning) redisLog.warn({ min_replicas: config.redisMinReplicas, recorded: requirement.recorded() }, warning);
  }
  // A reconnect may be to a new primary (a failover): look at its replicas at once.
  redis.on('ready', () => gate.poke());
  writer.on('ready', () => gate.poke());

  const ctx = createTxContext(redis, config.redisPrefix, transactionRules(config), opts.clock, {
    writer, gate, replicas: () => requirement.current() ?? 0,
  });
  if (config.quarantineMs < SHORT_QUARANTINE_MS) {
    log.warn({ quarantine_ms: config.quarantineMs }, 'AMOUNT_QUARANTINE is under 1 minute: a late payment may confirm the next order that gets the same amount');
  }
  // The card list creates and credits use is CARDS plus the registry, kept current in memory
  // (ctx.rules.cards reads it, so every operation sees a disable or an added card at once).
  const cards = new CardDirectory(ctx, config.cards, log);
  Object.defineProperty(ctx.rules, 'cards', { get: () => cards.universe(), enumerable: true });
  ctx.refreshCards = () => cards.refresh();
  if (up) await cards.refresh();
  // Redis back (or reachable for the first time): the registry may have changed meanwhile.
  redis.on('ready', () => void cards.refresh());
  cards.start();
  // One subscriber connection feeds every waiting pay page and registry change.
  const payFeed = new PayFeed(redisTarget(config), ctx.keys, () => void cards.refresh(), log);
  payFeed.start();
  const payStreams = new StreamRegistry(config.payStreamsMax);
  let watcher: Watcher | undefined;
  let heartbeat: Heartbeat | undefined;
  /** Another process holds the Telegram session: this one serves the API and waits for the lock. */
  let standby = false;
  /** The first try at the watcher is under way (connecting to Telegram, the first chat read). */
  let connecting = watches && opts.startWatcher !== undefined;
  /** This process holds the session lock (while connecting: it, not a standby, will watch). */
  let sessionLocked = false;
  const metrics = new Metrics({
    pendingTransactions: () => ctx.commands.pendingCount(),
    webhookBacklog: () => ctx.commands.webhookBacklog(),
    failedDeliveries: () => ctx.commands.failedCount(),
    openCredits: () => ctx.commands.openCreditsCount(),
    redisUp: () => redis.status === 'ready',
    role: config.role,
    // Expiry is decided by the watermark in Redis: every daemon's sweeper sees the same.
    expiryHeld: () => expiryHealth(sweeper.expiry(), config.paymentGraceMs).held,
    watermarkLag: () => expiryHealth(sweeper.expiry(), config.paymentGraceMs).lagSeconds,
    ...(watches ? { watcherHeld: () => watcher !== undefined } : {}),
    // Telegram's state is the watcher's: reported by the process that holds it, NaN on a standby
    // (which would otherwise look disconnected and fire alerts), absent where nothing watches.
    ...(watches
      ? {
          telegramConnected: () => (watcher ? watcher.status().connected : null),
          lastBotMessageAt: () => watcher?.status().lastBotMessageAt ?? null,
          telegramReconnects: () => watcher?.status().reconnects ?? 0,
          historyReads: () => watcher?.status().historyReads ?? {},
          clockSkewMs: () => watcher?.status().clockSkewMs ?? null,
        }
      : {}),
  });
  const events = new Events(log.child({ component: 'lifecycle' }), metrics);
  const processor = new MessageProcessor({ ctx, events, bots: watchedBotsOf(config) });

  let fatalWith: (f: Fatal) => void = () => undefined;
  const fatal = new Promise<Fatal>((resolve) => {
    fatalWith = resolve;
  });

  // A transaction expires only once the bank chat has been read past its deadline plus the
  // grace (the watermark, checked by the cancel script itself); when one waits for that, the
  // watcher's holder reads the chat at once rather than at its next periodic read.
  const sweeper = startSweeper(ctx, log.child({ component: 'sweeper' }), {
    ...(opts.sweepIntervalMs !== undefined ? { intervalMs: opts.sweepIntervalMs } : {}),
    onSweep: (r) => {
      events.transactionsExpired(r.expired);
      if (r.expiry.waitingDeadline !== null) watcher?.readSoon?.(r.expiry.waitingDeadline + config.paymentGraceMs - r.expiry.now);
    },
  });

  const expiryDetails = () => {
    const h = expiryHealth(sweeper.expiry(), config.paymentGraceMs);
    return { expiry: h.held ? 'held' : 'running', watermark_lag_s: h.lagSeconds };
  };
  const telegramState = (): ComponentState => {
    if (!watches) return 'disabled';
    if (watcher) {
      const s = watcher.status();
      return !s.connected ? 'down' : s.degraded ? 'degraded' : 'up';
    }
    return standby ? 'standby' : connecting ? 'connecting' : 'down';
  };
  const components = (): Record<string, ComponentState> => ({ telegram: telegramState() });
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
    cards,
    payFeed,
    payStreams,
    // Held while bank messages may be waiting unread (Telegram down, catch-up failing): amounts
    // stay reserved meanwhile, so the operator must be able to see it.
    details: (): Record<string, string | number | null> => ({
      ...(config.sandbox ? {} : expiryDetails()),
      // Outside sandbox always; in sandbox only when not the default, so that the contract's
      // plain `{redis, telegram}` stays as it was for the common case.
      ...(config.sandbox && config.role === 'all' ? {} : { role: config.role }),
      ...(watches ? { watcher: watcher ? 'held' : standby ? 'standby' : 'connecting' } : {}),
    }),
  });
  let http;
  try {
    http = await startHttpServer(app.fetch, config.host, config.port);
  } catch (err) {
    await sweeper.stop();
    cards.stop();
    payFeed.stop();
    await gate.stop();
    closeAll();
    throw listenError(err, config);
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

  // The merchant's alert bot (ALERT_BOT_TOKEN): its own loops, so it never delays matching. One
  // process runs it — the one holding the Telegram watcher (in sandbox, the daemon itself) —
  // because a bot token allows one long poll at a time and the outbox must be drained once.
  const alertsWith = alertSettings(config, opts.alertTimings);
  let alerts: ReturnType<typeof startAlerts> | null = null;
  const startAlertBot = (): void => {
    if (alerts || !alertsWith) return;
    alerts = startAlerts({
      ctx,
      settings: alertsWith,
      log: log.child({ component: 'alerts' }),
      events,
      health: {
        redis: () => redis.status === 'ready',
        writes: () => (redis.status === 'ready' ? refusalText(gate.state()) : null),
        ...(config.sandbox ? {} : { telegram: () => watcher?.status().connected ?? false }),
      },
    });
  };
  if (config.sandbox) startAlertBot();

  // The watcher starts in the background: the API and the workers are already useful (and
  // the process stays stoppable) while it waits for Redis or connects to Telegram. If it
  // cannot start, that is fatal: the process exits non-zero with the reason.
  let stopping = false;
  let stopped: Promise<void> | null = null;
  const stopStarting = new AbortController();
  const tgLog = log.child({ component: 'telegram' });
  const waitForRedis = async (): Promise<void> => {
    let said = false;
    while (!(await connectRedis(redis, 1000))) {
      if (stopping) throw new Error('stopped while waiting for Redis');
      if (!said) tgLog.warn('waiting for Redis before connecting to Telegram');
      said = true;
    }
    // Catch-up matches credits by card: the registered cards must be known first.
    await cards.refresh();
  };
  const startWatcher = opts.startWatcher;
  const startOnce = (w: StartWatcher) =>
    w({
      settings: watcherSettings(config),
      store: ctx.commands,
      handle: async (msg, key) => {
        await processor.process(msg, key);
      },
      log,
      onFatal: (reason, exitCode) => {
        alerts?.notice('telegram:fatal', `🛑 paycue stopped watching Telegram: ${reason}. If the session was revoked or logged out, run paycue --telegram and restart paycue.`);
        fatalWith({ reason, exitCode });
      },
      onDegraded: (reason) =>
        alerts?.notice('telegram:degraded', reason === null ? '✅ Reading the bank chats works again.' : `⚠️ Telegram degraded: ${reason}.`),
      onLocked: () => {
        sessionLocked = true;
        void heartbeat?.beat(); // `paycue status` hears at once that a daemon is connecting
      },
      waitForRedis,
      signal: stopStarting.signal,
    });
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      stopStarting.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
  // With the session lock held elsewhere this daemon is a hot standby: it keeps serving the API
  // and tries the lock every few seconds, so it takes the watcher over (catching up from the
  // cursor) once the holder's lease runs out. Only the lock's holder ever connects to Telegram.
  let markServing: () => void = () => undefined;
  const serving = new Promise<void>((resolve) => (markServing = resolve));
  const runWatcher = async (w: StartWatcher): Promise<void> => {
    for (;;) {
      try {
        // A standby's own mark must not make it fence itself once it holds the session; the
        // other standbys mark themselves again at their next try.
        if (standby) await ctx.commands.clearStandby().catch(() => undefined);
        const started = await startOnce(w);
        if (stopping) await started.stop();
        else {
          watcher = started;
          connecting = false;
          void heartbeat?.beat(); // `paycue status` hears of the watcher at once, not at the next beat
          startAlertBot();
          if (standby) tgLog.warn('took the Telegram watcher over: this process now watches the bank bots');
        }
        return;
      } catch (err) {
        connecting = false;
        sessionLocked = false;
        if (stopping) return;
        if (!(err instanceof TelegramStartError && err.reason === 'locked')) throw err;
        if (!standby) tgLog.info({ retry_ms: standbyRetryMs(config), reason: err.message.split(';')[0] }, 'standby: another paycue holds the Telegram session; serving the API and waiting for it');
        standby = true;
        markServing(); // a standby is a working daemon: systemd's start must not wait for the takeover
        // Known to the holder, which then lets the session go rather than outlive its lease.
        await ctx.commands.markStandby(3 * standbyRetryMs(config) + 10_000).catch(() => undefined);
        await pause(standbyRetryMs(config));
        if (stopping) return;
      }
    }
  };
  const watcherReady: Promise<void> =
    watches && startWatcher
      ? runWatcher(startWatcher).catch((err: Error) => {
          if (!stopping) {
            alerts?.notice('telegram:fatal', `🛑 paycue could not start watching Telegram: ${err.message}`);
            fatalWith({ reason: `telegram: ${err.message}`, exitCode: exitCodeFor(err) });
          }
        })
      : Promise.resolve();
  void watcherReady.finally(markServing);

  // Only the process that watches Telegram, or is connecting to it (not a standby), or a sandbox
  // daemon publishes the heartbeat that
  // `paycue status` reads: a standby or ROLE=api daemon would overwrite it with "disconnected".
  heartbeat = await startHeartbeat(ctx.commands, {
    sandbox: config.sandbox, telegram: () => watcher?.status() ?? null, telegramState,
    publishes: () => config.sandbox || watcher !== undefined || (connecting && sessionLocked),
    expiry: () => expiryHealth(sweeper.expiry(), config.paymentGraceMs),
  });

  log.info(
    {
      version: VERSION, role: config.role, host: config.host, port: http.port, sandbox: config.sandbox, cards: cards.universe(), workers: config.workers,
      redis: describeTarget(redisTarget(config)), prefix: config.redisPrefix,
      webhook: webhooks.target.display, public_url: config.publicUrl, signed: webhooks.secret !== undefined,
      // The effective durations, so a unit-less value read as minutes is visible at a glance.
      ttl: formatDuration(config.transactionTtlMs), quarantine: formatDuration(config.quarantineMs),
      webhook_timeout: formatDuration(config.webhookTimeoutMs), webhook_backoff: config.webhookBackoffMs.map(formatDuration).join(','),
      pay_heartbeat: formatDuration(config.payHeartbeatMs), telegram_takeover: formatDuration(config.telegramTakeoverMs),
      min_replicas: requirement.current(), min_replicas_source: config.redisMinReplicas !== undefined ? 'REDIS_MIN_REPLICAS' : redisTarget(config).mode === 'single' ? 'single node' : 'recorded',
      alerts: alertsWith ? `chat ${alertsWith.chatId}` : 'off', late_payment_webhooks: config.webhookLatePayment,
    },
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
    serving,
    // Idempotent: a second call (a second signal, a test's cleanup) waits for the first.
    stop(deadlineMs = 8000) {
      stopped ??= (async () => {
        const started = Date.now();
        stopping = true;
        stopStarting.abort(); // a watcher still connecting gives up and releases the session lock
        payStreams.closeAll();
        await http.close();
        await Promise.race([watcherReady, new Promise((r) => setTimeout(r, 3000).unref())]);
        await watcher?.stop().catch((err: unknown) => log.warn({ err }, 'telegram watcher did not stop cleanly'));
        await sweeper.stop();
        await heartbeat.stop();
        await alerts?.stop();
        await dispatcher.stop(Math.max(500, deadlineMs - (Date.now() - started) - 500));
        cards.stop();
        payFeed.stop();
        await gate.stop();
        blocking.disconnect();
        writer.disconnect();
        await redis.quit().catch(() => undefined);
        // QUIT closes the data connection only: in Sentinel mode the failover detector's sentinel
        // connections stay open (and hold the process) until disconnect().
        redis.disconnect();
        log.info('paycue stopped');
      })();
      return stopped;
    },
  };
}
