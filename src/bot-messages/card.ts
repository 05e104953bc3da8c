// The card's last four digits, from its mask: "*7159", "**7159", "***4862", "561468******4862".
import { CARD_EMOJI, MERCHANT_EMOJI, firstCodePoint } from './vocabulary.js';

const MASK = /\*{1,16}([0-9]{4})(?![0-9])/g;

/** `ok: false` when the lines name two different cards: picking one could confirm the wrong card. */
export type Last4 = { ok: true; last4: string | null } | { ok: false };

function masksIn(lines: readonly string[]): Set<string> {
  const found = new Set<string>();
  for (const line of lines) for (const m of line.matchAll(MASK)) if (m[1] !== undefined) found.add(m[1]);
  return found;
}

/** From the card lines (💳/🏦) first, else from any line but the merchant's, which may hold "PAYNET*1234". */
export function findLast4(lines: readonly string[]): Last4 {
  let found = masksIn(lines.filter((l) => CARD_EMOJI.has(firstCodePoint(l))));
  if (found.size === 0) found = masksIn(lines.filter((l) => firstCodePoint(l) !== MERCHANT_EMOJI));
  if (found.size > 1) return { ok: false };
  const [last4] = found;
  return { ok: true, last4: last4 ?? null };
}
