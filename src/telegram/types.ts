// The watcher's public types (re-exported by watcher.ts).
import type { BotMessage, WatchedBotId } from '../bot-messages/bots.js';

export type { BotMessage };

/** What the watcher needs to know of the configuration (made by daemon/rules.ts). */
export interface WatcherSettings {
  sessionDir: string;
  /** TELEGRAM_SESSION: the string session to use instead of SESSION_DIR's file (which is then
   * not read; SESSION_DIR still holds the peers cache when it can be written). */
  session?: string;
  appId?: number;
  appHash?: string;
  /** The bank bots to listen to. */
  bots: WatchedBotId[];
  /** The session lock's lease: how long a dead holder keeps a standby out (default 30 s). */
  lockTtlMs?: number;
}

/**
 * Handles one bot message; `key` is `${account}:${senderId}:${messageId}`, stable across redeliveries.
 * Resolving means "finished with": the cursor moves past the message. Throwing (e.g. Redis is
 * down) stops processing at this message; it is handed over again later. Delivery is therefore
 * at least once: the handler must be idempotent by key.
 */
export type BotMessageHandler = (msg: BotMessage, key: string) => Promise<void>;

export interface TelegramStatus {
  connected: boolean;
  /** Why Telegram is degraded (chat reads failing too long, clocks apart), or null. */
  degraded?: string | null;
  /** Unix ms when a bot message was last received or processed; null if none since start. */
  lastBotMessageAt: number | null;
  me?: { id: string; username?: string };
  /** Times the connection came back after a loss, since start. */
  reconnects?: number;
  /** History requests since start, by bot name (each page of a chat read is one). */
  historyReads?: Record<string, number>;
  /** Telegram's clock minus Redis's at the last pass (ms); null before the first. */
  clockSkewMs?: number | null;
  /** Unix ms since when chat reads have failed (null while they work). */
  catchUpFailingSince?: number | null;
}

export interface TelegramWatcher {
  /** Stops timers, waits for the message in progress, destroys the client, releases the lock. */
  stop(): Promise<void>;
  status(): TelegramStatus;
  /** Runs a catch-up now (queued behind anything in progress); resolves when it is done. */
  catchUp(): Promise<void>;
  /** A deadline plus its grace (`dueInMs` from now, shared clock) waits for the watermark: read
   * the chats as soon as a read can reach it (rate-limited, coalesced). */
  readSoon(dueInMs?: number): void;
}
