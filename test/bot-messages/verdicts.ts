// Expected parser verdicts, shared by the parser tests.
import type { ParseResult } from '../../src/bot-messages/index.js';

export const credit = (amount_tiyin: number, last4: string | null, bot: 'humo' | 'cardxabar' = 'humo'): ParseResult => ({
  credit: true,
  amount_tiyin,
  currency: 'UZS',
  last4,
  bot,
});

export const no = (reason: string): ParseResult => ({ credit: false, reason }) as ParseResult;
