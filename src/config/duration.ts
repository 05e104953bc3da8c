// Durations as the contract spells them: `500ms`, `90s`, `30m`, `1h`; a bare number means minutes.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^(\d{1,9})(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return null;
  const unit = UNIT_MS[m[2] ?? 'm'] as number;
  const ms = Number(m[1]) * unit;
  return Number.isSafeInteger(ms) ? ms : null;
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

