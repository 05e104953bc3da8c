// How expiry is doing, for /ready, `paycue status`, /metrics and alerts: held when a deadline
// (plus its grace) has waited for the watermark longer than a chat read or two can explain, or
// at once when there is no watermark to wait for.
import type { ExpiryState } from './sweep.js';

/** A due transaction waiting this long for the watermark means the chat reads are not working. */
export const EXPIRY_HELD_AFTER_MS = 30_000;

export interface ExpiryHealth {
  held: boolean;
  /** How far the watermark is behind the clock (s); null while nothing may expire at all. */
  lagSeconds: number | null;
}

export function expiryHealth(state: ExpiryState | null, graceMs: number): ExpiryHealth {
  if (!state) return { held: false, lagSeconds: null };
  const waitedMs = state.waitingDeadline === null ? 0 : state.now - graceMs - state.waitingDeadline;
  return {
    // Nothing may expire at all (no watermark published): held as soon as something is due.
    held: state.waitingDeadline !== null && (state.why !== '' || waitedMs > EXPIRY_HELD_AFTER_MS),
    lagSeconds: state.lagMs === null ? null : Math.round(state.lagMs / 1000),
  };
}
