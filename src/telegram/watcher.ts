// The Telegram side of the daemon: listen to the watched bank bots and hand every message on
// as a whole BotMessage, with catch-up so a disconnect or a restart never loses a credit, and
// a watchdog that asks for a restart when the connection is dead. Start-up is open-session.ts,
// scheduling of catch-up is sync.ts, the catch-up itself catch-up.ts.
import { Api, type TelegramClient } from 'telegram';
import { NewMessage, type NewMessageEvent } from 'telegram/events/index.js';
import { EditedMessage, type EditedMessageEvent } from 'telegram/events/EditedMessage.js';
import { Raw } from 'telegram/events/Raw.js';
import { UpdateConnectionState } from 'telegram/network/index.js';
import { maskCardNumbers, type Logger } from '../log/logger.js';
import type { TelegramStore } from '../redis/commands.js';
import type { WatchedBot } from './bot-peer.js';
import { CatchUp, isFromBot } from './catch-up.js';
import { abandonConnect } from './client-factory.js';
import { describeError, withTimeout } from './errors.js';
import { openSession, unlessStopped, type OpenSession } from './open-session.js';
import { SyncScheduler } from './sync.js';
import { startWatchdog, type Watchdog } from './watchdog.js';
import type { BotMessageHandler, TelegramStatus, TelegramWatcher, WatcherSettings } from './types.js';

export type { BotMessage, BotMessageHandler, TelegramStatus, TelegramWatcher, WatcherSettings } from './types.js';
export { TelegramStartError } from './errors.js';

export const DEFAULT_CATCH_UP_INTERVAL_MS = 3 * 60_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface TelegramWatcherDeps {
  settings: WatcherSettings;
  /** The cursor and the session lock, in Redis. */
  store: TelegramStore;
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
  /** Aborted when the daemon stops while the watcher is still starting. */
  signal?: AbortSignal;
}

/**
 * Starts watching. Rejects with TelegramStartError (a message meant for the operator) when
 * there is no usable session, another process holds it, Telegram cannot be reached within the
 * connect timeout, or the bot cannot be resolved.
 */
export async function startTelegramWatcher(deps: TelegramWatcherDeps): Promise<TelegramWatcher> {
  const log = deps.log.child({ component: 'telegram' });
  const requestTimeoutMs = deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  let watcher: LiveWatcher | undefined;
  let lockLost: string | undefined;
  const session = await openSession({
    settings: deps.settings,
    store: deps.store,
    log,
    // The session must be closed at once, not after the daemon's orderly stop: another process
    // holds the lock, or may hold it soon.
    onLockLost: (reason) => {
      if (!watcher) lockLost = reason;
      else {
        watcher.fatal(reason);
        void watcher.abandon();
      }
    },
    ...(deps.client ? { client: deps.client } : {}),
    ...(deps.connectTimeoutMs !== undefined ? { connectTimeoutMs: deps.connectTimeoutMs } : {}),
    ...(deps.lockRenewMs !== undefined ? { lockRenewMs: deps.lockRenewMs } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
    requestTimeoutMs,
  });
  log.info(
    { account: session.account.id, username: session.account.username, bots: session.bots.map((b) => ({ bot: b.name, id: b.id })) },
    'telegram connected',
  );
  watcher = new LiveWatcher(session, deps, log, requestTimeoutMs, await deps.store.lastBotMessageAt().catch(() => null));
  if (lockLost) watcher.fatal(lockLost);
  try {
    await unlessStopped(watcher.start(), deps.signal);
  } catch (err) {
    // Stopped during the first catch-up (or it failed): let go of the session now, without
    // waiting for a history read that may hang; the cursor only ever moved past handled messages.
    await watcher.abandon();
    throw err;
  }
  return watcher;
}

class LiveWatcher implements TelegramWatcher {
  private connected = true;
  private reconnects = 0;
  // Expiry is fair only once every bank message up to now has been read: after each loss of
  // the connection, only a catch-up that *started* after it and succeeded counts. `epoch` counts
  // losses; `caughtUpEpoch` is the epoch in which the last successful catch-up started.
  private epoch = 0;
  private caughtUpEpoch = -1;
  private lastSyncOk = false;
  private stopped = false;
  private fatalReported = false;
  private stopping: Promise<void> | undefined;
  private readonly history: CatchUp;
  private readonly sync: SyncScheduler;
  private watchdog: Watchdog | undefined;
  private readonly newMessageEvent: NewMessage;
  private readonly editedEvent: EditedMessage;
  private readonly connectionEvent = new Raw({ types: [UpdateConnectionState] });

  constructor(
    private readonly session: OpenSession,
    private readonly deps: TelegramWatcherDeps,
    private readonly log: Logger,
    requestTimeoutMs: number,
    /** When a watched bot last wrote (unix ms, its own timestamp). */
    private lastBotMessageAt: number | null,
  ) {
    this.history = new CatchUp(
      {
        account: session.account.id,
        client: session.client,
        cursors: session.cursors,
        handle: deps.handle,
        log,
        requestTimeoutMs,
        onBotMessage: (msg) => this.sawBotMessage(msg.date),
        isStopped: () => this.stopped,
      },
      session.bots,
    );
    this.sync = new SyncScheduler(() => this.syncOnce(), {
      intervalMs: deps.catchUpIntervalMs ?? DEFAULT_CATCH_UP_INTERVAL_MS,
      retryBaseMs: deps.retryBaseMs ?? 2000,
    });
    const chats = session.bots.map((b) => String(b.id));
    this.newMessageEvent = new NewMessage({ chats, incoming: true });
    this.editedEvent = new EditedMessage({ chats, incoming: true });
  }

  async start(): Promise<void> {
    const tg = this.session.client;
    tg.addEventHandler(this.onNewMessage, this.newMessageEvent);
    tg.addEventHandler(this.onEdited, this.editedEvent);
    tg.addEventHandler(this.onConnection, this.connectionEvent);
    // Credits that arrived while the daemon was stopped are matched now, before start-up returns.
    await this.sync.request();
    this.watchdog = startWatchdog({
      client: tg,
      log: this.log,
      onFatal: (reason) => this.fatal(reason),
      onResult: (ok) => {
        if (this.stopped) return;
        if (ok) this.reconnected();
        else this.lost();
      },
      intervalMs: this.deps.watchdogIntervalMs,
      timeoutMs: this.deps.watchdogTimeoutMs,
    });
  }

  fatal(reason: string): void {
    if (this.stopped || this.fatalReported) return;
    this.fatalReported = true;
    this.log.error({ reason }, 'telegram watcher cannot continue');
    this.deps.onFatal(reason);
  }

  status(): TelegramStatus {
    const connected = this.connected && !this.stopped;
    return {
      connected,
      expiryAllowed: connected && this.lastSyncOk && this.caughtUpEpoch === this.epoch,
      lastBotMessageAt: this.lastBotMessageAt,
      me: { ...this.session.account },
      reconnects: this.reconnects,
    };
  }

  /** One catch-up pass, remembered for the expiry rule above. */
  private async syncOnce(): Promise<boolean> {
    if (this.stopped) return true;
    const startedIn = this.epoch;
    const ok = await this.history.syncAll();
    this.lastSyncOk = ok;
    if (ok) this.caughtUpEpoch = Math.max(this.caughtUpEpoch, startedIn);
    return ok;
  }

  private lost(): void {
    if (this.connected) this.epoch++;
    this.connected = false;
  }

  /** Connected again (GramJS's event, or a healthy watchdog check after a failed one): read what was missed. */
  private reconnected(): void {
    if (this.connected) return;
    this.connected = true;
    this.reconnects++;
    void this.sync.request();
  }

  catchUp(): Promise<void> {
    return this.sync.request();
  }

  private sawBotMessage(unixSeconds: number): void {
    const at = unixSeconds * 1000;
    if (this.lastBotMessageAt !== null && at <= this.lastBotMessageAt) return;
    this.lastBotMessageAt = at;
    this.deps.store.setLastBotMessageAt(at).catch(() => undefined);
  }

  private botFor(m: Api.Message): WatchedBot | undefined {
    const peer = m.peerId;
    if (!(peer instanceof Api.PeerUser)) return undefined;
    return this.session.bots.find((b) => String(b.id) === peer.userId.toString());
  }

  private readonly onNewMessage = async (event: NewMessageEvent): Promise<void> => {
    const m = event.message;
    const bot = this.botFor(m);
    if (this.stopped || !bot || !isFromBot(bot, m)) return;
    this.history.addLive(bot, m);
    void this.sync.request();
  };

  private readonly onEdited = async (event: EditedMessageEvent): Promise<void> => {
    const m = event.message;
    const bot = this.botFor(m);
    if (this.stopped || !bot || !isFromBot(bot, m)) return;
    // The new text helps the operator judge it; any full card number in it is masked first.
    const edited = maskCardNumbers((m.message ?? '').slice(0, 500));
    this.log.info({ bot: bot.name, message_id: m.id, edit_date: m.editDate, edited }, 'a bank bot edited a message; edits are logged, not processed as new credits');
  };

  private readonly onConnection = async (u: UpdateConnectionState): Promise<void> => {
    if (this.stopped) return;
    if (u.state === UpdateConnectionState.connected) {
      if (this.connected) {
        void this.sync.request(); // GramJS may reconnect without a drop we saw: catch up anyway
      } else {
        this.log.info('telegram connection is back; catching up before expiry resumes');
        this.reconnected();
      }
    } else {
      if (this.connected) {
        this.log.warn({ state: u.state === UpdateConnectionState.broken ? 'broken' : 'disconnected' }, 'telegram connection lost; GramJS reconnects by itself');
      }
      this.lost();
    }
  };

  /** No more events, timers or catch-ups start. */
  private detach(): void {
    this.stopped = true;
    this.connected = false;
    this.watchdog?.stop();
    const tg = this.session.client;
    tg.removeEventHandler(this.onNewMessage, this.newMessageEvent);
    tg.removeEventHandler(this.onEdited, this.editedEvent);
    tg.removeEventHandler(this.onConnection, this.connectionEvent);
  }

  /** Like stop(), but does not wait for the catch-up in progress. */
  async abandon(): Promise<void> {
    this.detach();
    void this.sync.stop();
    const tg = this.session.client;
    abandonConnect(tg);
    await withTimeout(tg.destroy(), 2_000, 'closing the Telegram connection').catch(() => undefined);
    await this.session.lock.release();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.detach();
      const tg = this.session.client;
      await withTimeout(this.sync.stop(), 15_000, 'finishing the telegram message in progress').catch((err: unknown) =>
        this.log.warn({ err }, 'stopping without waiting for the message in progress'),
      );
      abandonConnect(tg); // a reconnect loop in progress would otherwise go on dialling after destroy()
      await withTimeout(tg.destroy(), 10_000, 'closing the Telegram connection').catch((err: unknown) =>
        this.log.warn({ err }, 'telegram client did not close cleanly'),
      );
      await this.session.lock.release();
      this.log.info('telegram watcher stopped');
    })();
    return this.stopping;
  }
}
