// The first line of a notification: its words, compared with the known headers, and the
// symbols around them, which for a credit must be the bot's own credit emoji or nothing.
import type { BotName } from './bots.js';
import { CANCEL_EMOJI, CREDIT_EMOJI, isWordChar } from './vocabulary.js';

export type Header = {
  /** "🎉 **To'ldirish**:" → "to'ldirish" */
  key: string;
  /** Symbols before and after the words, without spaces and decoration: "🎉", "". */
  lead: string;
  tail: string;
};

// Spaces, leftover markdown and punctuation say nothing about the kind of message.
const DECORATION = new Set([' ', '*', '_', ':', '.', '!']);

const symbols = (chars: readonly string[]): string => chars.filter((c) => !DECORATION.has(c)).join('');

/** Loops, not regexes, so long symbol runs stay linear. */
export function parseHeader(line: string): Header {
  const chars = Array.from(line);
  let start = 0;
  let end = chars.length;
  while (start < end && !isWordChar(chars[start] ?? '')) start++;
  while (end > start && !isWordChar(chars[end - 1] ?? '')) end--;
  return {
    key: chars.slice(start, end).join('').toLowerCase(),
    lead: symbols(chars.slice(0, start)),
    tail: symbols(chars.slice(end)),
  };
}

/**
 * For a header whose words are a credit header: is the emoji the bot's credit emoji? A
 * missing emoji is allowed (copies lose them, m001/m113); any other is not a credit,
 * since the bots reuse the same words under ❌ and 🔴.
 */
export function creditHeaderMark(h: Header, bot: BotName): 'credit' | 'reversal' | 'ambiguous' {
  if ((h.lead === '' || h.lead === CREDIT_EMOJI[bot]) && h.tail === '') return 'credit';
  return (h.lead + h.tail).includes(CANCEL_EMOJI) ? 'reversal' : 'ambiguous';
}
