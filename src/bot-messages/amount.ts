// Exact money parsing for bank-bot amounts. Everything is built from integer
// digit strings so no float ever touches a money value.
//
// Accepted grammar; S is one thousands separator used throughout, where " " stands for a
// space, U+00A0 or U+202F (all three count as the same separator):
//   HUMO       d{1,3}(S d{3})* , d{1,2}   S ∈ { . " " }     1.010,00   5.000,0 (m100)
//   CardXabar  d{1,3}(S d{3})* . d{2}     S ∈ { " " , }     1 010.00   1,010.00
//   plain      d+ ( . d{2} | , d{2} )?                      100300.00  20000
//   m099       d{1,3}(, d{3})+ , d{2}                       9,900,00 (a real HUMO copy)
// Anything else is null: "1.5", "1,500", "2.000.1" or "20.001.00" could each be read two
// ways, and reading an amount wrongly could confirm someone else's payment.

/**
 * Largest accepted amount: 10^13 so'm (10^15 tiyin, below 2^53). Merchants may request up to
 * 10^12 so'm and paycue adds an offset on top, so a real credit can exceed 10^12 so'm.
 */
export const MAX_TIYIN = 1_000_000_000_000_000;
const MAX_SOM = MAX_TIYIN / 100;
const MAX_SOM_DIGITS = 14; // 10^13 has 14 digits
const MAX_INPUT = 64; // a real amount is ~25 chars; longer input is not an amount

type Sep = '.' | ',' | ' ';

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function separatorKind(c: string): Sep | null {
  if (c === '.' || c === ',') return c;
  if (c === ' ' || c === '\u00A0' || c === '\u202F') return ' ';
  return null;
}

type Tokens = { groups: string[]; seps: Sep[] };

/** "1.010,00" → groups [1, 010, 00], seps [., ,]; null on any other character or an empty group. */
function tokenize(t: string): Tokens | null {
  const groups: string[] = [];
  const seps: Sep[] = [];
  let cur = '';
  for (const c of t) {
    if (isDigit(c)) {
      cur += c;
      continue;
    }
    const k = separatorKind(c);
    if (k === null || cur === '') return null;
    groups.push(cur);
    seps.push(k);
    cur = '';
  }
  if (cur === '') return null;
  groups.push(cur);
  return { groups, seps };
}

/** The thousands separator of digit groups "1" "010" "000", or null for one group; false if malformed. */
function thousandsKind(groups: readonly string[], seps: readonly Sep[]): Sep | null | false {
  const kind = seps[0];
  if (kind === undefined) return null;
  if (!seps.every((k) => k === kind) || (groups[0] ?? '').length > 3) return false;
  return groups.every((g, i) => i === 0 || g.length === 3) ? kind : false;
}

/** Whether the grammar above allows this thousands separator with this fraction. */
function allowed(kind: Sep | null, first: string, fracSep: Sep | null, fracLen: number): boolean {
  if (fracSep === null) return kind === null; // plain digits only: "1,500" could be 1.5
  if (fracSep === '.') return fracLen === 2 && kind !== '.'; // "20.001.00" mixes roles
  if (fracSep === ' ') return false;
  if (fracLen === 2) return true; // "," fraction: HUMO, plain, or m099's "9,900,00"
  return kind === '.' || kind === ' ' || (kind === null && first.length <= 3); // HUMO's "5.000,0"
}

/** Parses the grammar above into tiyin; null for anything else, leading zeros and above MAX_TIYIN. */
export function parseAmountTiyin(s: string): number | null {
  if (typeof s !== 'string') return null;
  const t = s.trim();
  if (t.length === 0 || t.length > MAX_INPUT) return null;
  const tok = tokenize(t);
  if (tok === null) return null;
  const { groups, seps } = tok;

  // A final "."/"," group of 1-2 digits is the fraction; allowed() judges whether it may be.
  let fraction = '';
  let fracSep: Sep | null = null;
  const lastSep = seps[seps.length - 1];
  if (lastSep !== undefined && (groups[groups.length - 1] ?? '').length <= 2) {
    fraction = groups.pop() ?? '';
    fracSep = seps.pop() ?? null;
  }
  const kind = thousandsKind(groups, seps);
  if (kind === false || !allowed(kind, groups[0] ?? '', fracSep, fraction.length)) return null;

  const som = groups.join('');
  if (som.length > MAX_SOM_DIGITS || (som.length > 1 && som[0] === '0')) return null;
  let somValue = 0;
  for (const c of som) somValue = somValue * 10 + (c.charCodeAt(0) - 48);
  if (somValue > MAX_SOM) return null; // checked before * 100, so every product below is exact

  const tens = fraction.length > 0 ? fraction.charCodeAt(0) - 48 : 0;
  const units = fraction.length > 1 ? fraction.charCodeAt(1) - 48 : 0;
  const tiyin = somValue * 100 + tens * 10 + units;
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
