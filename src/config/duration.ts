// Durations as the contract spells them: `500ms`, `90s`, `30m`, `1h`, also compound (`1h30m`);
// a bare number means minutes (the original's meaning; see bareNumber for the warning).
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (/^\d{1,9}$/.test(t)) return Number(t) * 60_000;
  if (!/^(?:\d{1,9}(?:ms|s|m|h))+$/.test(t)) return null;
  let ms = 0;
  for (const [, n, unit] of t.matchAll(/(\d{1,9})(ms|s|m|h)/g)) ms += Number(n) * (UNIT_MS[unit as string] as number);
  return Number.isSafeInteger(ms) ? ms : null;
}

/** True for a duration written without a unit (read as minutes). */
export function bareNumber(text: string | undefined): boolean {
  return text !== undefined && /^\d{1,9}$/.test(text.trim());
}

/** `5s,30s,2m` → [5000, 30000, 120000]; null if any part is not a duration. */
export function parseDurationList(text: string): number[] | null {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) return null;
  const out: number[] = [];
  for (const p of parts) {
    const ms = parseDuration(p);
    if (ms === null) return null;
    out.push(ms);
  }
  return out;
}

/** The shortest exact spelling: 5400000 → `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
