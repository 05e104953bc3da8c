// When the next retry happens: the configured backoff (its last step repeats), stretched to
// honour a receiver's Retry-After, plus up to 20% jitter so retries from a burst spread out.
const MAX_DELAY_MS = 3_600_000;

export function retryDelayMs(
  failedInRound: number,
  backoffMs: number[],
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number {
  const base = backoffMs[Math.min(failedInRound - 1, backoffMs.length - 1)] ?? 5000;
  const wanted = Math.max(base, retryAfterMs ?? 0);
  return Math.min(MAX_DELAY_MS, Math.round(wanted * (1 + 0.2 * random())));
}

/** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d{1,7}$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
