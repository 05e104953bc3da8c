// Turns a bot message, however it was copied, into clean trimmed lines:
// Telegram Desktop copies, markdown exports, keyboards with odd apostrophes and
// spaces, Windows line ends, and copies that lost their newlines all look alike after this.

/** Only this many lines are looked at; a real notification has fewer than ten. */
export const MAX_LINES = 64;

// Invisible code points that only decorate emoji or words.
const INVISIBLE = new Set(['\uFE0F', '\uFE0E', '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD']);
// People type o'zbek apostrophes every which way; the headers are compared with "'".
const APOSTROPHES = new Set(['\u2019', '\u2018', '\u02BB', '\u02BC', '`', '\u00B4', '\u02B9', '\u2032']);
const LINE_BREAKS = new Set(['\r', '\u2028', '\u2029', '\u0085']);

function isExoticSpace(c: string): boolean {
  const code = c.codePointAt(0) ?? 0;
  return (
    c === '\t' || code === 0x00a0 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a)
  );
}

// Emoji that start a field. Copies that lost their newlines (m063, m104) are split here.
const FIELD_MARKERS = new Set([
  '\u2795', // ➕
  '\u2796', // ➖
  '\u{1F4CD}', // 📍
  '\u{1F4B3}', // 💳
  '\u{1F3E6}', // 🏦
  '\u{1F4B0}', // 💰
  '\u{1F4B5}', // 💵
  '\u{1F4B8}', // 💸
  '\u26A0', // ⚠
  '\u2139', // ℹ
  '\u{1F389}', // 🎉
  '\u{1F7E2}', // 🟢
  '\u{1F534}', // 🔴
  '\u{1F3E7}', // 🏧
  '\u274C', // ❌
  '\u2705', // ✅
  '\u{1F539}', // 🔹
]);

function isFieldMarker(c: string): boolean {
  const code = c.codePointAt(0) ?? 0;
  return FIELD_MARKERS.has(c) || (code >= 0x1f550 && code <= 0x1f567); // clock faces 🕐…🕧
}

/** One code point → its normal form, or '' for invisible ones. */
function cleanChar(c: string): string {
  if (INVISIBLE.has(c)) return '';
  if (LINE_BREAKS.has(c)) return '\n';
  if (APOSTROPHES.has(c)) return "'";
  return isExoticSpace(c) ? ' ' : c;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** "**" at `at` opens a card mask ("HUMOCARD **7159"), not bold text ("**1.010,00 UZS**"). */
function opensCardMask(chars: readonly string[], at: number): boolean {
  for (let i = at; i < at + 4; i++) if (!isDigit(chars[i])) return false;
  const next = chars[at + 4];
  return next === undefined || !(isDigit(next) || next === '.' || next === ',' || next === '*');
}

/**
 * Character-level clean-up: one kind of line break, apostrophe and space; no
 * variation selectors; markdown `**`/`__` wrappers removed. Runs of other lengths
 * stay, so card masks like `***4862` and `561468******4862` survive, and so does `**7159`.
 */
export function normaliseText(text: string): string {
  const chars: string[] = [];
  let prevCr = false;
  for (const raw of text) {
    if (prevCr && raw === '\n') {
      prevCr = false;
      continue; // CRLF: the CR already produced the break
    }
    prevCr = raw === '\r';
    const c = cleanChar(raw);
    if (c !== '') chars.push(c);
  }

  const out: string[] = [];
  for (let i = 0; i < chars.length; ) {
    const c = chars[i] ?? '';
    let end = i + 1;
    if (c === '*' || c === '_') while (chars[end] === c) end++;
    const markdown = end - i === 2 && !(c === '*' && opensCardMask(chars, end));
    if (!markdown) for (let k = i; k < end; k++) out.push(c);
    i = end;
  }
  return out.join('');
}

// "HUMO Card, [14.04.2025 12:01]": the sender line Telegram Desktop adds when copying.
const DESKTOP_HEADER = /^[^[\]\n]{1,40}, \[[0-9.:/ APMapm-]{4,30}\]$/;

/** Normalised, trimmed, non-empty lines, split at field emoji, without a desktop header line. */
export function messageLines(text: string): string[] {
  const clean = normaliseText(text);
  const lines: string[] = [];
  let cur: string[] = [];
  let curHasText = false;
  const push = (): void => {
    const line = cur.join('').replace(/ {2,}/g, ' ').trim();
    if (line !== '') lines.push(line);
    cur = [];
    curHasText = false;
  };
  for (const c of clean) {
    if (lines.length >= MAX_LINES) break;
    if (c === '\n') {
      push();
      continue;
    }
    if (curHasText && isFieldMarker(c)) push();
    cur.push(c);
    if (c !== ' ') curHasText = true;
  }
  if (lines.length < MAX_LINES) push();

  const first = lines[0];
  if (first !== undefined && DESKTOP_HEADER.test(first)) lines.shift();
  return lines.slice(0, MAX_LINES);
}
