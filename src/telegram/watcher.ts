// The Telegram side of the daemon: listen to the watched bank bots and hand every message on
// as a whole BotMessage (live ones at once), with chat reads so a disconnect or a restart never
// loses a credit, the observation watermark those reads publish (expiry waits for it), and a
// watchdog that asks for a restart when the connection is dead. Start-up is open-session.ts,
// scheduling of reads is sync.ts, a read itself catch-up.ts, the watermark watermark.ts.
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
import { AbortedError, RELOGIN_HINT, describeError, withTimeout } from './errors.js';
import { resolveBotAgain } from './bot-peer.js';
import { fatalSessionMessage } from './watchdog.js';
import { openSession, unlessStopped, type OpenSession } from './open-session.js';
import { SyncScheduler } from './sync.js';
import { readPassClock, skewTooLarge } from './watermark.js';
import { startWatchdog, type Watchdog } from './watchdog.js';
import type { BotMessageHandler, TelegramStatus, TelegramWatcher, WatcherSettings } from './types.js';

export type { BotMessage, BotMessageHandler, TelegramStatus, TelegramWatcher, WatcherSettings } from './types.js';
export { TelegramStartError } from './errors.js';

export const DEFAULT_CATCH_UP_INTERVAL_MS = 3 * 60_000;
/** Reads asked for by waiting deadlines start at least this far apart. */
export const DEFAULT_DEADLINE_READ_GAP_MS = 5_000;
/** Chat reads failing this long (or the clocks disagreeing) make Telegram `degraded`. */
export const DEFAULT_DEGRADED_AFTER_MS = 2 * 60_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface TelegramWatcherDeps {
  settings: WatcherSettings;
  /** The cursor and the session lock, in Redis. */
  store: TelegramStore;
  log: Logger;
  handle: BotMessageHandler;
  /** Called once when the watcher cannot go on: exit 2 for a session Telegram no longer accepts
   * (only a new login helps), 1 for what a restart may fix (dead connection, lost lock). */
  onFatal: (reason: string, exitCode: 1 | 2) => void;
  /** Called when the chat reads have failed for `degradedAfterMs` (or the clocks disagree), and
   * again with null once they work: the operator must hear of it (the alert bot). */
  onDegraded?: (reason: string | null) => void;
  /** How long chat reads may fail before Telegram is reported degraded (default 2 min). */
  degradedAfterMs?: number;
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
  /** Reads for waiting deadlines start at least this far apart. */
  deadlineReadGapMs?: number;
  /** Aborted when the daemon stops while the watcher is still starting. */
  signal?: AbortSignal;
  /** Called once the session lock is this process's, before connecting. */
  onLocked?: () => void;
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
        watcher.fatal(reason, 1);
        void watcher.abandon();
      }
    },
    ...(deps.client ? { client: deps.client } : {}),
    ...(deps.connectTimeoutMs !== undefined ? { connectTimeoutMs: deps.connectTimeoutMs } : {}),
    ...(deps.lockRenewMs !== undefined ? { lockRenewMs: deps.lockRenewMs } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.onLocked ? { onLocked: deps.onLocked } : {}),
    requestTimeoutMs,
  });
  log.info(
    { account: session.account.id, username: session.account.username, bots: session.bots.map((b) => ({ bot: b.name, id: b.id })) },
    'telegram connected',
  );
  watcher = new LiveWatcher(session, deps, log, requestTimeoutMs, await deps.store.lastBotMessageAt().catch(() => null));
  if (lockLost) watcher.fatal(lockLost, 1);
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

/** Updates numbered in the account's common sequence (pts): a jump in it is a gap, updates
 * GramJS never delivered. Channel updates have sequences of their own and are not listed. */
const COMMON_PTS_UPDATES = [
  Api.UpdateNewMessage, Api.UpdateDeleteMessages, Api.UpdateReadHistoryInbox, Api.UpdateReadHistoryOutbox, Api.UpdateWebPage,
  Api.UpdateReadMessagesContents, Api.UpdateEditMessage, Api.UpdateFolderPeers, Api.UpdatePinnedMessages, Api.UpdateShortMessage,
  Api.UpdateShortChatMessage,
];

class LiveWatcher implements TelegramWatcher {
  private connected = true;
  private reconnects = 0;
  private stopped = false;
  private fatalReported = false;
  private stopping: Promise<void> | undefined;
  private readonly history: CatchUp;
  private readonly sync: SyncScheduler;
  private watchdog: Watchdog | undefined;
  private readonly newMessageEvent: NewMessage;
  private readonly editedEvent: EditedMessage;
  private readonly connectionEvent = new Raw({ types: [UpdateConnectionState] });
  private readonly sequenceEvent = new Raw({ types: [...COMMON_PTS_UPDATES, Api.UpdatesTooLong] });
  private readonly historyReads: Record<string, number> = {};
  /** The highest pts seen (updates or a pass's GetState); undefined until the first pass. */
  private pts: number | undefined;
  private clockSkewMs: number | null = null;
  private failingSince: number | null = null;
  private readonly allBotIds: number[];
  /** Aborted when the watcher stops: reads waiting on Telegram are abandoned at once. */
  private readonly aborter = new AbortController();
  private degradedReported: string | null = null;

  constructor(
    private readonly session: OpenSession,
    private readonly deps: TelegramWatcherDeps,
    private readonly log: Logger,
    private readonly requestTimeoutMs: number,
    /** When a watched bot last wrote (unix ms, its own timestamp). */
    private lastBotMessageAt: number | null,
  ) {
    for (const b of session.bots) this.historyReads[b.name] = 0;
    this.allBotIds = session.bots.map((b) => b.id);
    this.history = new CatchUp(
      {
        account: session.account.id,
        client: session.client,
        cursors: session.cursors,
        handle: deps.handle,
        log,
        requestTimeoutMs,
        onBotMessage: (msg) => this.sawBotMessage(msg.date),
        onHistoryRead: (bot) => void (this.historyReads[bot.name] = (this.historyReads[bot.name] ?? 0) + 1),
        isStopped: () => this.stopped,
        signal: this.aborter.signal,
        resolveAgain: (bot) =>
          resolveBotAgain({ client: session.client, bot, cache: session.peers, log, timeoutMs: requestTimeoutMs }),
      },
      session.bots,
    );
    this.sync = new SyncScheduler(() => this.syncOnce(), {
      intervalMs: deps.catchUpIntervalMs ?? DEFAULT_CATCH_UP_INTERVAL_MS,
      retryBaseMs: deps.retryBaseMs ?? 2000,
      minGapMs: deps.deadlineReadGapMs ?? DEFAULT_DEADLINE_READ_GAP_MS,
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
    tg.addEventHandler(this.onSequence, this.sequenceEvent);
    // Credits that arrived while the daemon was stopped are matched now, before start-up returns.
    await this.sync.request();
    this.watchdog = startWatchdog({
      client: tg,
      log: this.log,
      onFatal: (reason, exitCode) => this.fatal(reason, exitCode),
      onResult: (ok) => {
        if (this.stopped) return;
        if (ok) this.reconnected();
        else this.lost();
      },
      intervalMs: this.deps.watchdogIntervalMs,
      timeoutMs: this.deps.watchdogTimeoutMs,
    });
  }

  fatal(reason: string, exitCode: 1 | 2): void {
    if (this.stopped || this.fatalReported) return;
    this.fatalReported = true;
    this.log.error({ reason, exit_code: exitCode }, 'telegram watcher cannot continue');
    this.deps.onFatal(reason, exitCode);
  }

  /** Why Telegram is degraded now (reads failing too long, clocks apart), or null. */
  private degradedReason(): string | null {
    const after = this.deps.degradedAfterMs ?? DEFAULT_DEGRADED_AFTER_MS;
    if (this.clockSkewMs !== null && skewTooLarge(this.clockSkewMs)) {
      return `Telegram's clock and Redis's differ by ${Math.round(this.clockSkewMs / 1000)} s: expiry holds; fix NTP on the Redis host (timedatectl)`;
    }
    if (this.failingSince !== null && Date.now() - this.failingSince >= after) {
      return `reading the bank chats has failed for ${Math.round((Date.now() - this.failingSince) / 1000)} s: payments are confirmed only from live messages and expiry holds; see the log for the error (a FLOOD_WAIT passes by itself; otherwise restart paycue)`;
    }
    return null;
  }

  /** Tells the operator once when the reads go bad, and once when they work again. */
  private reportHealth(): void {
    const why = this.degradedReason();
    if (why !== null && this.degradedReported === null) {
      this.log.error({ reason: why }, 'telegram degraded');
      this.deps.onDegraded?.(why);
    } else if (why === null && this.degradedReported !== null) {
      this.log.info('telegram is no longer degraded');
      this.deps.onDegraded?.(null);
    }
    this.degradedReported = why;
  }

  status(): TelegramStatus {
    return {
      connected: this.connected && !this.stopped,
      degraded: this.degradedReason(),
      lastBotMessageAt: this.lastBotMessageAt,
      me: { ...this.session.account },
      reconnects: this.reconnects,
      historyReads: { ...this.historyReads },
      clockSkewMs: this.clockSkewMs,
      catchUpFailingSince: this.failingSince,
    };
  }

  /**
   * One pass: both clocks, then every bot's chat above its cursor; each bot whose every message
   * was decided has its watermark moved to what the pass has seen (README "Expiry: by what has
   * been seen"). Resolves false when a bot's read failed (retried with a growing delay).
   */
  private async syncOnce(): Promise<boolean> {
    if (this.stopped) return true;
    const ok = await this.pass();
    if (!this.stopped) this.reportHealth();
    return ok;
  }

  private async pass(): Promise<boolean> {
    // Without both clocks the pass still decides what it reads; it just cannot move the watermark.
    const clock = await readPassClock({
      sharedNow: () => this.deps.store.clockNow(), client: this.session.client, timeoutMs: this.requestTimeoutMs, signal: this.aborter.signal,
    }).catch((err: unknown) => {
      if (this.givesUp(err)) return null;
      this.log.warn({ err }, 'telegram catch-up could not read the clocks; expiry waits for the next pass');
      return null;
    });
    let skewed = false;
    if (clock) {
      if (clock.pts !== null) this.pts = Math.max(this.pts ?? 0, clock.pts);
      const wasSkewed = this.clockSkewMs !== null && skewTooLarge(this.clockSkewMs);
      this.clockSkewMs = Math.round(clock.skewMs);
      skewed = skewTooLarge(clock.skewMs);
      if (skewed && !wasSkewed) {
        this.log.error(
          { skew_ms: this.clockSkewMs },
          "Telegram's clock and Redis's differ by more than 30 s: expiry holds until they agree; check NTP on the Redis host (timedatectl)",
        );
      } else if (!skewed && wasSkewed) this.log.info({ skew_ms: this.clockSkewMs }, 'clocks agree again: expiry resumes');
    }
    const { done, errors } = await this.history.syncAll();
    for (const err of errors) if (this.givesUp(err)) break;
    if (clock && !skewed && !this.stopped) {
      for (const bot of done) {
        const moved = await this.deps.store
          .watermarkAdvance({ token: this.session.lock.token, account: this.session.account.id, botId: bot.id, seenThrough: clock.seenThrough, bots: this.allBotIds })
          .catch((err: unknown) => {
            this.log.warn({ bot: bot.name, err }, 'could not publish the watermark; the next pass does');
            return undefined;
          });
        if (moved === null) this.log.warn({ bot: bot.name }, 'the watermark was not moved: this process no longer holds the Telegram session');
      }
    }
    if (!clock || done.length < this.session.bots.length) return this.passFailed();
    if (this.failingSince !== null) this.log.info('telegram catch-up works again');
    this.failingSince = null;
    return true;
  }

  /** A session Telegram no longer accepts, in any call, stops the daemon at once (exit 2):
   * retrying cannot help, and waiting for the watchdog would take minutes. */
  private givesUp(err: unknown): boolean {
    if (err instanceof AbortedError) return true;
    const revoked = fatalSessionMessage(err);
    if (!revoked) return false;
    this.fatal(revoked, 2);
    return true;
  }

  private passFailed(): false {
    this.failingSince ??= Date.now();
    return false;
  }

  private lost(): void {
    this.connected = false;
  }

  /** Connected again after a loss we saw (GramJS's event, or a healthy watchdog check after a
   * failed one): read what was missed. */
  private reconnected(): void {
    if (this.connected) return;
    this.connected = true;
    this.reconnects++;
    void this.sync.request();
  }

  catchUp(): Promise<void> {
    return this.sync.request();
  }

  /** A pass that starts `ms` from now at the earliest can reach a deadline `dueInMs` away: its
   * watermark is the earlier clock's whole second, less a second. */
  readSoon(dueInMs = 0): void {
    if (this.stopped) return;
    const behind = Math.max(0, -(this.clockSkewMs ?? 0));
    this.sync.requestSoon(dueInMs + 2000 + behind);
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

  // Decided at once, not behind a chat read in progress: a payment a moment before its deadline
  // must not wait in a queue while the deadline passes.
  private readonly onNewMessage = async (event: NewMessageEvent): Promise<void> => {
    const m = event.message;
    const bot = this.botFor(m);
    if (this.stopped || !bot || !isFromBot(bot, m)) return;
    void this.history.decideLive(bot, m);
  };

  /** A jump in the account's update sequence: updates were lost on the way, read the chats. */
  private readonly onSequence = async (u: Api.TypeUpdate | Api.TypeUpdates): Promise<void> => {
    if (this.stopped) return;
    if (u instanceof Api.UpdatesTooLong) {
      this.log.info('telegram says updates were too many to send: reading the chats');
      void this.sync.request();
      return;
    }
    const { pts, ptsCount } = u as unknown as { pts: number; ptsCount: number };
    if (typeof pts !== 'number' || typeof ptsCount !== 'number') return;
    const known = this.pts;
    if (known !== undefined && pts - ptsCount > known) {
      this.log.info({ expected: known + ptsCount, got: pts }, 'telegram update gap: reading the chats');
      void this.sync.request();
    }
    if (known === undefined || pts > known) this.pts = pts;
  };

  private readonly onEdited = async (event: EditedMessageEvent): Promise<void> => {
    const m = event.message;
    const bot = this.botFor(m);
    if (this.stopped || !bot || !isFromBot(bot, m)) return;
    // The new text helps the operator judge it; any full card number in it is masked first.
    const edited = maskCardNumbers((m.message ?? '').slice(0, 500));
    this.log.info({ bot: bot.name, message_id: m.id, edit_date: m.editDate, edited }, 'a bank bot edited a message; edits are logged, not processed as new credits');
  };

  // GramJS emits `connected` after every ping that follows a 9 s sleep (its "wake-up" path in
  // _updateLoop), with no drop before it: that is not a reconnect, and starts no read. Only a
  // drop seen first does. Expiry does not rest on these events at all (the watermark does).
  private readonly onConnection = async (u: UpdateConnectionState): Promise<void> => {
    if (this.stopped) return;
    if (u.state === UpdateConnectionState.connected) {
      if (!this.connected) {
        this.log.info('telegram connection is back; reading what was missed');
        this.reconnected();
      }
    } else if (u.state === UpdateConnectionState.broken) {
      // GramJS says `broken` on the main connection only when Telegram answered -404: it has
      // forgotten this session's auth key, and GramJS's main sender never recovers from that.
      // Retrying (or a restart loop) cannot help; only a new login can.
      this.lost();
      this.fatal(`Telegram no longer knows this session's auth key (-404); ${RELOGIN_HINT}`, 2);
    } else {
      if (this.connected) this.log.warn({ state: 'disconnected' }, 'telegram connection lost; GramJS reconnects by itself');
      this.lost();
    }
  };

  /** No more events, timers or catch-ups start; reads waiting on Telegram are abandoned. */
  private detach(): void {
    this.stopped = true;
    this.aborter.abort();
    this.connected = false;
    this.watchdog?.stop();
    const tg = this.session.client;
    tg.removeEventHandler(this.onNewMessage, this.newMessageEvent);
    tg.removeEventHandler(this.onEdited, this.editedEvent);
    tg.removeEventHandler(this.onConnection, this.connectionEvent);
    tg.removeEventHandler(this.onSequence, this.sequenceEvent);
  }

  /** Like stop(), but does not wait for the message in progress: the session must be let go
   * now (another process holds the lock, or may soon). A later stop() waits for this one. */
  abandon(): Promise<void> {
    this.stopping ??= (async () => {
      this.detach();
      void this.sync.stop();
      const tg = this.session.client;
      abandonConnect(tg);
      await withTimeout(tg.destroy(), 2_000, 'closing the Telegram connection').catch(() => undefined);
      await this.session.lock.release();
      this.log.info('telegram watcher let the session go');
    })();
    return this.stopping;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.detach();
      const tg = this.session.client;
      // Reads waiting on Telegram were abandoned by detach(): this waits for a message being
      // decided (a Redis call), not for the network.
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
