// The catch-up cursor: per watched bot, the highest message id paycue has finished with, tied
// to the Telegram account the ids belong to (message ids in private chats are numbered per
// account, so a cursor from another account would be meaningless; it is reset).
// Every write is fenced by the session lock's token and the account (the scripts check both).
import type { CursorFence, TelegramStore } from '../redis/commands.js';

export class CursorStore {
  constructor(
    private readonly store: TelegramStore,
    private readonly fence: CursorFence,
  ) {}

  /** Ties the cursors to the logged-in account; true when cursors of another account were dropped. */
  bindAccount(): Promise<boolean> {
    return this.store.cursorBind(this.fence.account, this.fence.token);
  }

  /** The cursor, or null when this bot has none yet (first run). */
  async get(botId: number): Promise<number | null> {
    const v = await this.store.cursorGet(botId);
    if (v === null) return null;
    const n = Number(v);
    return Number.isSafeInteger(n) && n >= 0 ? n : null;
  }

  /** Sets the first cursor unless one appeared meanwhile; returns the cursor in force. */
  init(botId: number, messageId: number): Promise<number> {
    return this.store.cursorInit(botId, messageId, this.fence);
  }

  /** Moves the cursor to `messageId` if that is further; returns the cursor in force. */
  advance(botId: number, messageId: number): Promise<number> {
    return this.store.cursorAdvance(botId, messageId, this.fence);
  }
}
