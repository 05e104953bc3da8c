// Telegram user ids of the bank bots whose messages can carry credits.
// Matching is by numeric id only: display names and usernames can be spoofed.
export const BOTS = { humo: 856254490, cardxabar: 915326936 } as const;

export type BotName = 'humo' | 'cardxabar';

export function botNameFor(sender: number): BotName | null {
  if (sender === BOTS.humo) return 'humo';
  if (sender === BOTS.cardxabar) return 'cardxabar';
  return null;
}
