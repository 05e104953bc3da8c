// The Telegram side of the daemon: connect with the saved session (connect() + getMe(), never
// start(), which would turn any boot error into an interactive login), hold the session lock,
// listen to the watched bank bots and hand their messages to the daemon, with catch-up so a
// disconnect or a restart never loses a credit, and a watchdog that asks for a restart when
// the connection is dead.
import { Api, TelegramClient } from 'telegram';
import { NewMessage, type NewMessageEvent } from 'telegram/events/index.js';
import { EditedMessage, type EditedMessageEvent } from 'telegram/events/EditedMessage.js';
import { Raw } from 'telegram/events/Raw.js';
import { UpdateConnectionState } from 'telegram/network/index.js';
import type { Redis } from 'ioredis';
import type { Config } from '../config/env.js';
import { maskCardNumbers, type Logger } from '../log/logger.js';
import { redisKeys } from '../redis/keys.js';
import { isRedisUnavailable } from '../redis/client.js';
import { resolveWatchedBots, type WatchedBot } from './bot-peer.js';
import { CatchUp, isFromBot } from './catch-up.js';
import { abandonConnect, connectWithTimeout, createTelegramClient, DEFAULT_CONNECT_TIMEOUT_MS, parseStringSession } from './client-factory.js';
import { CursorStore } from './cursor.js';
import { RELOGIN_HINT, TelegramStartError, describeError, withTimeout } from './errors.js';
import { CoalescedJob, SerialQueue } from './message-queue.js';
import { acquireSessionLock, SessionLockedError, type SessionLock } from './session-lock.js';
import { loadSession, sessionPath } from './session-store.js';
import { fatalSessionMessage, startWatchdog, type Watchdog } from './watchdog.js';
import type { BotMessageHandler, TelegramStatus, TelegramWatcher } from './types.js';

export type { BotMessage, BotMessageHandler, TelegramStatus, TelegramWatcher } from './types.js';
export { TelegramStartError } from './errors.js';

export const DEFAULT_CATCH_UP_INTERVAL_MS = 3 * 60_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface TelegramWatcherDeps {
  config: Config;
  redis: Redis;
  log: Logger;
  handle: BotMessageHandler;
  /** Called once when the watcher cannot go on (dead connection, revoked session, lost lock): exit non-zero. */
  onFatal: (reason: string) => void;
  /** A ready-made client (tests); by default one is built from the session in SESSION_DIR. */
  client?: TelegramClient;
  catchUpIntervalMs?: number;
  watchdogIntervalMs?: number;
  watchdogTimeoutMs?: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  lockRenewMs?: number;
  /** First delay before retrying a failed catch-up (doubles up to the catch-up interval). */
  retryBaseMs?: number;
}

/**
 * Starts watching. Rejects with TelegramStartError (a message meant for the operator) when
 * there is no usable session, another process holds it, Telegram cannot be reached within the
 * connect timeout, or the bot cannot be resolved.
 */
export async function startTelegramWatcher(deps: TelegramWatcherDeps): Promise<TelegramWatcher> {
  const { config, redis } = deps;
  const log = deps.log.child({ component: 'telegram' });
  const keys = redisKeys(config.redisPrefix);
  const requestTimeoutMs = deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const catchUpIntervalMs = deps.catchUpIntervalMs ?? DEFAULT_CATCH_UP_INTERVAL_MS;

  let makeClient: () => TelegramClient;
  if (deps.client) {
    const given = deps.client;
    makeClient = () => given;
  } else {
    if (!config.appId || !config.appHash) {
      throw new TelegramStartError('APP_ID and APP_HASH are required to watch Telegram (or run with SANDBOX=true)', 'config');
    }
    const saved = await loadSession(config.sessionDir);
    if (!saved) {
      throw new TelegramStartError(
        `no Telegram session in ${sessionPath(config.sessionDir)}: run \`paycue --telegram\` to log in first`,
        'no-session',
      );
    }
    const session = parseStringSession(saved);
    const { appId, appHash } = config;
    makeClient = () => createTelegramClient({ appId, appHash, session, log: deps.log, purpose: 'daemon' });
  }

  let stopped = false;
  let fatalReported = false;
  const fatal = (reason: string): void => {
    if (stopped || fatalReported) return;
    fatalReported = true;
    log.error({ reason }, 'telegram watcher cannot continue');
    deps.onFatal(reason);
  };

  let lock: SessionLock;
  try {
    lock = await acquireSessionLock({ redis, key: keys.sessionLock, log, onLost: fatal, renewMs: deps.lockRenewMs });
  } catch (err) {
    if (err instanceof SessionLockedError) {
      throw new TelegramStartError(
        `${err.message}; refusing to start: two processes on one session make Telegram revoke it (AUTH_KEY_DUPLICATED). ` +
          'Stop the other paycue first (its lock expires 30 s after it stops).',
        'locked',
      );
    }
    if (isRedisUnavailable(err)) throw new TelegramStartError('cannot take the Telegram session lock: Redis is unreachable', 'locked');
    throw err;
  }

  let client: TelegramClient | undefined;
  let me: Api.User;
  let bots: WatchedBot[];
  let cursors: CursorStore;
  try {
    client = makeClient();
    try {
      await connectWithTimeout(client, deps.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    } catch (err) {
      throw new TelegramStartError(`cannot connect to Telegram: ${describeError(err)}; check the network and restart`, 'connect');
    }
    try {
      me = await withTimeout(client.getMe(), requestTimeoutMs, 'getMe');
    } catch (err) {
      const revoked = fatalSessionMessage(err);
      if (revoked) throw new TelegramStartError(revoked, 'session-revoked');
      throw new TelegramStartError(`Telegram did not confirm the account: ${describeError(err)}`, 'connect');
    }
    if (!(me instanceof Api.User) || !me.id) {
      throw new TelegramStartError(`the saved session is not logged in; ${RELOGIN_HINT}`, 'session-revoked');
    }
    cursors = new CursorStore(redis, keys.cursor);
    if (await cursors.bindAccount(me.id.toString())) {
      log.warn({ account: me.id.toString() }, 'a different Telegram account is logged in: catch-up cursors reset (first-start rules apply)');
    }
    bots = await resolveWatchedBots({ client, config, account: me.id.toString(), log, timeoutMs: requestTimeoutMs });
  } catch (err) {
    if (client) {
      abandonConnect(client);
      await withTimeout(client.destroy(), 10_000, 'client.destroy').catch(() => undefined);
    }
    await lock.release();
    throw err;
  }
  const tg = client;
  const account = { id: me.id.toString(), username: me.username };
  log.info({ account: account.id, username: account.username, bots: bots.map((b) => ({ bot: b.name, id: b.id })) }, 'telegram connected');

  let connected = true;
  // When the bank bot last wrote (its own timestamp), kept in Redis so the age reported on
  // /metrics stays meaningful across restarts.
  const lastAtField = 'last_message_at';
  let lastBotMessageAt: number | null = Number(await redis.hget(keys.cursor, lastAtField).catch(() => null)) || null;
  const sawBotMessage = (unixSeconds: number): void => {
    const at = unixSeconds * 1000;
    if (lastBotMessageAt !== null && at <= lastBotMessageAt) return;
    lastBotMessageAt = at;
    redis.hset(keys.cursor, lastAtField, String(at)).catch(() => undefined);
  };
  const queue = new SerialQueue();
  const catchUp = new CatchUp(
    {
      account: account.id,
      client: tg,
      cursors,
      handle: deps.handle,
      log,
      requestTimeoutMs,
      onBotMessage: (msg) => sawBotMessage(msg.date),
      isStopped: () => stopped,
    },
    bots,
  );

  // Failed syncs are retried with a growing delay; periodic catch-up runs anyway.
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelay = 0;
  const retryBase = deps.retryBaseMs ?? 2000;
  const sync = new CoalescedJob(queue, async () => {
    if (stopped) return;
    const ok = await catchUp.syncAll();
    if (ok) {
      retryDelay = 0;
      return;
    }
    if (stopped || retryTimer) return;
    retryDelay = Math.min(retryDelay === 0 ? retryBase : retryDelay * 2, Math.max(retryBase, catchUpIntervalMs));
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void sync.request();
    }, retryDelay);
    retryTimer.unref();
  });

  const botFor = (m: Api.Message): WatchedBot | undefined => {
    const peer = m.peerId;
    if (!(peer instanceof Api.PeerUser)) return undefined;
    return bots.find((b) => String(b.id) === peer.userId.toString());
  };

  const chats = bots.map((b) => String(b.id));
  const onNewMessage = async (event: NewMessageEvent): Promise<void> => {
    const m = event.message;
    const bot = botFor(m);
    if (stopped || !bot || !isFromBot(bot, m)) return;
    sawBotMessage(m.date);
    catchUp.addLive(bot, m);
    void sync.request();
  };
  const onEdited = async (event: EditedMessageEvent): Promise<void> => {
    const m = event.message;
    const bot = botFor(m);
    if (stopped || !bot || !isFromBot(bot, m)) return;
    // The new text helps the operator judge it; any full card number in it is masked first.
    const edited = maskCardNumbers((m.message ?? '').slice(0, 500));
    log.info({ bot: bot.name, messageId: m.id, editDate: m.editDate, edited }, 'a bank bot edited a message; edits are logged, not processed as new credits');
  };
  const onConnection = async (u: UpdateConnectionState): Promise<void> => {
    if (stopped) return;
    if (u.state === UpdateConnectionState.connected) {
      if (!connected) log.info('telegram connection is back; catching up');
      connected = true;
      void sync.request();
    } else {
      if (connected) log.warn({ state: u.state === UpdateConnectionState.broken ? 'broken' : 'disconnected' }, 'telegram connection lost; GramJS reconnects by itself');
      connected = false;
    }
  };
  const newMessageEvent = new NewMessage({ chats, incoming: true });
  const editedEvent = new EditedMessage({ chats, incoming: true });
  const connectionEvent = new Raw({ types: [UpdateConnectionState] });
  tg.addEventHandler(onNewMessage, newMessageEvent);
  tg.addEventHandler(onEdited, editedEvent);
  tg.addEventHandler(onConnection, connectionEvent);

  // Credits that arrived while the daemon was stopped are matched now, before start-up returns.
  await sync.request();

  const periodic = setInterval(() => void sync.request(), catchUpIntervalMs);
  periodic.unref();
  const watchdog: Watchdog = startWatchdog({
    client: tg,
    log,
    onFatal: fatal,
    onResult: (ok) => {
      if (!stopped) connected = ok;
    },
    intervalMs: deps.watchdogIntervalMs,
    timeoutMs: deps.watchdogTimeoutMs,
  });

  let stopping: Promise<void> | undefined;
  return {
    status(): TelegramStatus {
      return { connected: connected && !stopped, lastBotMessageAt, me: { ...account } };
    },
    catchUp() {
      return sync.request();
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        connected = false;
        clearInterval(periodic);
        if (retryTimer) clearTimeout(retryTimer);
        watchdog.stop();
        tg.removeEventHandler(onNewMessage, newMessageEvent);
        tg.removeEventHandler(onEdited, editedEvent);
        tg.removeEventHandler(onConnection, connectionEvent);
        await withTimeout(queue.idle(), 15_000, 'finishing the telegram message in progress').catch((err: unknown) =>
          log.warn({ err: describeError(err) }, 'stopping without waiting for the message in progress'),
        );
        abandonConnect(tg); // a reconnect loop in progress would otherwise go on dialling after destroy()
        await withTimeout(tg.destroy(), 10_000, 'closing the Telegram connection').catch((err: unknown) =>
          log.warn({ err: describeError(err) }, 'telegram client did not close cleanly'),
        );
        await lock.release();
        log.info('telegram watcher stopped');
      })();
      return stopping;
    },
  };
}
