// Exact money parsing for bank-bot amounts. Everything is built from integer
// digit strings so no float ever touches a money value.
//
//   HUMO       1.010,00   ("." thousands, "," decimals; real copies also show 9,900,00 and 5.000,0)
//   CardXabar  1 010.00   (space / U+00A0 / U+202F thousands, "." decimals)

/** Largest accepted amount: 10^12 so'm, far inside Number.MAX_SAFE_INTEGER. */
export const MAX_TIYIN = 100_000_000_000_000;

const MAX_SOM_DIGITS = 13; // 10^12 has 13 digits
const MAX_INPUT = 64; // a real amount is ~25 chars; longer input is not an amount

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** Thousands separators; spaces of every width count as the same separator. */
function separatorKind(c: string): '.' | ',' | ' ' | null {
  if (c === '.' || c === ',') return c;
  if (c === ' ' || c === '\u00A0' || c === '\u202F' || c === '\u2009' || c === '\u2007') return ' ';
  return null;
}

/**
 * Parses "1.010,00", "1 010.00", "9,900,00", "5.000,0", "100300.00", "20000" into tiyin.
 * A final "."/"," group of 1-2 digits is the tiyin part; every other separator groups
 * thousands (first group 1-3 digits, then exactly 3), all of one kind.
 * Returns null for anything else, for leading zeros, and above MAX_TIYIN.
 */
export function parseAmountTiyin(s: string): number | null {
  if (typeof s !== 'string') return null;
  const t = s.trim();
  if (t.length === 0 || t.length > MAX_INPUT) return null;

  const groups: string[] = [];
  const seps: Array<'.' | ',' | ' '> = [];
  let cur = '';
  for (const c of t) {
    if (isDigit(c)) {
      cur += c;
      continue;
    }
    const k = separatorKind(c);
    if (k === null || cur === '') return null; // stray character, or two separators in a row
    groups.push(cur);
    seps.push(k);
    cur = '';
  }
  if (cur === '') return null; // trailing separator
  groups.push(cur);

  let fraction = '';
  const lastSep = seps[seps.length - 1];
  const lastGroup = groups[groups.length - 1] ?? '';
  if ((lastSep === '.' || lastSep === ',') && lastGroup.length <= 2) {
    fraction = lastGroup;
    groups.pop();
    seps.pop();
  }

  if (groups.length > 1) {
    const kind = seps[0];
    if (!seps.every((k) => k === kind)) return null;
    if ((groups[0] ?? '').length > 3) return null;
    for (let i = 1; i < groups.length; i++) if ((groups[i] ?? '').length !== 3) return null;
  }

  const som = groups.join('');
  if (som.length > MAX_SOM_DIGITS) return null;
  if (som.length > 1 && som[0] === '0') return null;

  let tiyin = 0;
  for (const c of som) tiyin = tiyin * 10 + (c.charCodeAt(0) - 48);
  tiyin *= 100;
  if (fraction.length === 2) tiyin += (fraction.charCodeAt(0) - 48) * 10 + (fraction.charCodeAt(1) - 48);
  else if (fraction.length === 1) tiyin += (fraction.charCodeAt(0) - 48) * 10;

  return tiyin <= MAX_TIYIN ? tiyin : null;
}

function splitTiyin(tiyin: number): { som: string; frac: string } {
  if (!Number.isSafeInteger(tiyin) || tiyin < 0) {
    throw new RangeError(`amount must be a non-negative safe integer of tiyin, got ${String(tiyin)}`);
  }
  const rest = tiyin % 100; // exact for integers, unlike Math.floor(tiyin / 100) near 2^53
  return { som: String((tiyin - rest) / 100), frac: String(rest).padStart(2, '0') };
}

function groupThousands(digits: string, sep: string): string {
  let out = '';
  for (let end = digits.length; end > 0; end -= 3) {
    const part = digits.slice(Math.max(0, end - 3), end);
    out = out === '' ? part : part + sep + out;
  }
  return out;
}

/** 101000 → "1.010,00", the way HUMOcardbot writes amounts. */
export function formatHumo(tiyin: number): string {
  const { som, frac } = splitTiyin(tiyin);
  return `${groupThousands(som, '.')},${frac}`;
}

/** 101000 → "1 010.00", the way CardXabar writes amounts. */
export function formatCardXabar(tiyin: number): string {
  const { som, frac } = splitTiyin(tiyin);
  return `${groupThousands(som, ' ')}.${frac}`;
}
