// Telegram user ids of the bank bots whose messages can carry credits.
// Matching is by numeric id only: display names and usernames can be spoofed.
export const BOTS = { humo: 856254490, cardxabar: 915326936 } as const;

export type BotName = 'humo' | 'cardxabar';

export function botNameFor(sender: number): BotName | null {
  if (sender === BOTS.humo) return 'humo';
  if (sender === BOTS.cardxabar) return 'cardxabar';
  return null;
}

/** A bank bot paycue listens to, by its Telegram user id. */
export interface WatchedBotId {
  name: BotName;
  id: number;
}

/** WATCH_ID always (read in the HUMO format, whatever its id), CardXabar when enabled. */
export function watchedBots(watchId: number, cardxabar: boolean): WatchedBotId[] {
  const list: WatchedBotId[] = [{ name: 'humo', id: watchId }];
  if (cardxabar && watchId !== BOTS.cardxabar) list.push({ name: 'cardxabar', id: BOTS.cardxabar });
  return list;
}

/** One message from a watched bank bot, as the watcher hands it on: which bot it is from is
 * known by the chat it was read in, so nobody works it out again from the sender id. */
export interface BotMessage {
  bot: BotName;
  senderId: number;
  messageId: number;
  /** The raw `message.message` text (no markdown). */
  text: string;
  /** Unix seconds (Telegram's message date). */
  date: number;
}
