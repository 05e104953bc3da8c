// No missed credit. GramJS does not recover updates missed while disconnected (its catchUp()
// is an empty TODO) and drops update gaps silently, so paycue does not trust live updates alone:
// for every watched bot it keeps a cursor (highest message id finished with) and reads the chat
// history above it: on start-up, after a drop, every few minutes, on an update gap, and when a
// deadline waits for the watermark (watcher.ts). A live message is decided at once, whatever a
// read in progress is doing; only a read moves the cursor, so a live update can never jump the
// cursor over a message that was missed (the read hands the live one over again; the handler
// is idempotent by message key, and one decided live is not handed over twice by this process).
//
// Processing is ascending by id; ids at or below the cursor are skipped; the cursor moves past
// a message only after the handler resolved for it. If the handler throws (Redis down, say),
// processing stops at that message and the next sync starts again from it: nothing is ever
// skipped.
//
// First run (no cursor for a bot): the cursor is set to the newest message in the chat and
// nothing older is processed - notifications from before paycue was installed must not confirm
// anything. If the chat is empty, /start is sent so the bot starts talking to this account.
import { Api } from 'telegram';
import { generateRandomLong } from 'telegram/Helpers.js';
import type { Logger } from '../log/logger.js';
import type { BotMessage, BotMessageHandler } from './types.js';
import type { CursorStore } from './cursor.js';
import type { WatchedBot } from './bot-peer.js';
import { isStalePeer, unlessAborted, withTimeout } from './errors.js';

/** Telegram returns at most 100 messages per history request. */
export const PAGE_SIZE = 100;

/** The two client calls catch-up needs. */
export interface MessageSource {
  getMessages(entity: Api.InputPeerUser, params: { minId?: number; maxId?: number; limit: number }): Promise<Api.Message[]>;
  invoke<R extends Api.AnyRequest>(request: R): Promise<R['__response']>;
}

export interface CatchUpDeps {
  /** The logged-in account's id: message ids are numbered per account. */
  account: string;
  client: MessageSource;
  cursors: CursorStore;
  handle: BotMessageHandler;
  log: Logger;
  requestTimeoutMs: number;
  /** Called for every bot message handed to the handler. */
  onBotMessage?: (msg: BotMessage) => void;
  /** Called for every history request (the reads-per-hour metric). */
  onHistoryRead?: (bot: WatchedBot) => void;
  /** Checked before each message: once true, processing stops where it is (shutdown). */
  isStopped?: () => boolean;
  /** Aborted when the watcher stops: a read waiting on Telegram is abandoned at once. */
  signal?: AbortSignal;
  /** Resolves the bot again after Telegram refused its cached access hash. */
  resolveAgain?: (bot: WatchedBot) => Promise<void>;
}

/** What one pass over every bot did. */
export interface SyncOutcome {
  /** Bots whose every message above the cursor was decided. */
  done: WatchedBot[];
  /** Why the others stopped. */
  errors: unknown[];
}

/** Unique per bank message: private-chat message ids are numbered per account, so a key from
 * another account (after a re-login as someone else) can never shadow this one's. */
export function messageKey(account: string, senderId: number, messageId: number): string {
  return `${account}:${senderId}:${messageId}`;
}

/** True for an incoming message in the private chat with `bot`, sent by the bot itself. */
export function isFromBot(bot: { id: number }, m: Api.TypeMessage): m is Api.Message {
  if (!(m instanceof Api.Message)) return false;
  if (m.out) return false;
  const peer = m.peerId;
  if (!(peer instanceof Api.PeerUser) || peer.userId.toString() !== String(bot.id)) return false;
  return m.senderId?.toString() === String(bot.id);
}

export function toBotMessage(bot: WatchedBot, m: Api.Message): BotMessage {
  return { bot: bot.name, senderId: bot.id, messageId: m.id, text: m.message ?? '', date: m.date ?? 0 };
}

export class CatchUp {
  /** Live messages this process decided, per bot id: a read skips the handler for them. */
  private readonly decidedLive = new Map<number, Set<number>>();
  /** Live messages being decided, by `${bot id}:${message id}`: resolves true once decided. */
  private readonly liveInFlight = new Map<string, Promise<boolean>>();
  /** The cursor as this process last saw it, per bot id: live copies at or below it are done. */
  private readonly cursorSeen = new Map<number, number>();

  constructor(
    private readonly deps: CatchUpDeps,
    private readonly bots: readonly WatchedBot[],
  ) {}

  /** Decides a live message now (once, however often GramJS delivers it). On failure (Redis
   * down) it stays for the next read, which finds it in the history above the cursor. */
  async decideLive(bot: WatchedBot, m: Api.Message): Promise<void> {
    if (m.id <= (this.cursorSeen.get(bot.id) ?? -1) || this.decidedLive.get(bot.id)?.has(m.id)) return;
    const key = `${bot.id}:${m.id}`;
    let run = this.liveInFlight.get(key);
    if (!run) {
      run = this.runLive(bot, m).finally(() => this.liveInFlight.delete(key));
      this.liveInFlight.set(key, run);
    }
    await run;
  }

  private async runLive(bot: WatchedBot, m: Api.Message): Promise<boolean> {
    const msg = toBotMessage(bot, m);
    this.deps.onBotMessage?.(msg);
    try {
      await this.deps.handle(msg, messageKey(this.deps.account, bot.id, m.id));
    } catch (err) {
      this.deps.log.warn({ bot: bot.name, message_id: m.id, err }, 'a live bank message could not be decided now; the next chat read decides it');
      return false;
    }
    let set = this.decidedLive.get(bot.id);
    if (!set) this.decidedLive.set(bot.id, (set = new Set()));
    set.add(m.id);
    return true;
  }

  /** True when this process has decided the message live (waiting for one being decided). */
  private async decidedLiveAlready(bot: WatchedBot, id: number): Promise<boolean> {
    const running = this.liveInFlight.get(`${bot.id}:${id}`);
    if (running && (await running)) return true;
    return this.decidedLive.get(bot.id)?.has(id) ?? false;
  }

  /** Syncs every bot; a failure on one does not stop the others. */
  async syncAll(): Promise<SyncOutcome> {
    const out: SyncOutcome = { done: [], errors: [] };
    for (const bot of this.bots) {
      try {
        await this.syncBotOrResolveAgain(bot);
        out.done.push(bot);
      } catch (err) {
        out.errors.push(err);
        if (this.deps.signal?.aborted) continue;
        this.deps.log.warn(
          { bot: bot.name, err },
          'telegram catch-up stopped; it resumes from the cursor on the next try',
        );
      }
    }
    return out;
  }

  /** A refused access hash (PEER_ID_INVALID and the like) is resolved again once, then read. */
  private async syncBotOrResolveAgain(bot: WatchedBot): Promise<void> {
    try {
      await this.syncBot(bot);
    } catch (err) {
      if (!isStalePeer(err) || !this.deps.resolveAgain) throw err;
      await this.deps.resolveAgain(bot);
      await this.syncBot(bot);
    }
  }

  /** Processes every message above the cursor for one bot. Throws when it had to stop, so a
   * read cut short never counts as one that decided everything. */
  async syncBot(bot: WatchedBot): Promise<number> {
    const { cursors, log } = this.deps;
    let cursor = await cursors.get(bot.id);
    if (cursor === null) cursor = await this.firstRun(bot);
    const fetched = await this.fetchAbove(bot, cursor);
    const byId = new Map<number, Api.TypeMessage>();
    for (const m of fetched) byId.set(m.id, m);
    const ids = [...byId.keys()].filter((id) => id > cursor!).sort((a, b) => a - b);
    let processed = 0;
    for (const id of ids) {
      if (this.deps.isStopped?.()) throw new Error('stopped during the chat read');
      const m = byId.get(id)!;
      if (isFromBot(bot, m) && !(await this.decidedLiveAlready(bot, id))) {
        const msg = toBotMessage(bot, m);
        this.deps.onBotMessage?.(msg);
        await this.deps.handle(msg, messageKey(this.deps.account, bot.id, id)); // throws -> stop here, cursor stays before it
        processed++;
      }
      cursor = await cursors.advance(bot.id, id);
      this.cursorSeen.set(bot.id, cursor);
    }
    this.cursorSeen.set(bot.id, cursor);
    const live = this.decidedLive.get(bot.id);
    if (live) for (const id of live) if (id <= cursor) live.delete(id);
    if (processed > 0) log.debug({ bot: bot.name, processed, cursor }, 'telegram messages processed');
    return processed;
  }

  private getMessages(bot: WatchedBot, params: { minId?: number; maxId?: number; limit: number }): Promise<Api.Message[]> {
    this.deps.onHistoryRead?.(bot);
    return unlessAborted(withTimeout(this.deps.client.getMessages(bot.peer, params), this.deps.requestTimeoutMs, `reading the ${bot.name} bot chat`), this.deps.signal);
  }

  /** Every message with id > minId, newest page first, paging down with maxId until caught up. */
  private async fetchAbove(bot: WatchedBot, minId: number): Promise<Api.Message[]> {
    const all: Api.Message[] = [];
    let maxId: number | undefined;
    for (;;) {
      const page = await this.getMessages(bot, maxId === undefined ? { minId, limit: PAGE_SIZE } : { minId, maxId, limit: PAGE_SIZE });
      let lowest = Infinity;
      for (const m of page) {
        if (m.id > minId && (maxId === undefined || m.id < maxId)) all.push(m);
        lowest = Math.min(lowest, m.id);
      }
      if (page.length < PAGE_SIZE || lowest <= minId + 1) break;
      if (maxId !== undefined && lowest >= maxId) throw new Error('Telegram history paging made no progress');
      maxId = lowest;
    }
    return all;
  }

  private async firstRun(bot: WatchedBot): Promise<number> {
    const { cursors, log } = this.deps;
    const newest = await this.getMessages(bot, { limit: 1 });
    const top = newest[0];
    if (top) {
      const cursor = await cursors.init(bot.id, top.id);
      log.info(
        { bot: bot.name, cursor },
        'first start for this bot: cursor set to the newest message; older messages are not processed',
      );
      return cursor;
    }
    await unlessAborted(
      withTimeout(
        this.deps.client.invoke(new Api.messages.SendMessage({ peer: bot.peer, message: '/start', randomId: generateRandomLong() })),
        this.deps.requestTimeoutMs,
        `sending /start to the ${bot.name} bot`,
      ),
      this.deps.signal,
    );
    log.info({ bot: bot.name }, 'the chat with the bank bot was empty: sent /start');
    return cursors.init(bot.id, 0);
  }
}
