// The observation watermark (README "Expiry: by what has been seen"). A chat read that starts
// after Telegram's clock read D (help.getConfig's `date`, "current date at the server";
// updates.getState's `date` is the date of the last update, which stands still on a quiet
// account) holds every message Telegram dated before D - 1 s (dates are whole seconds, stamped
// when the message is stored), and every message stored before the shared clock read T. So once such a read has decided everything it found, each message dated
// before min(D, T) - 1 s is decided, whichever of the two clocks is ahead: that is the pass's
// `seenThrough`, on the shared clock (Redis TIME) that deadlines use. A skew beyond
// MAX_CLOCK_SKEW_MS says one clock is wrong: the watermark then stays where it is.
import { Api } from 'telegram';
import { unlessAborted, withTimeout } from './errors.js';

/** Beyond this between Telegram's clock and Redis's, one of them is wrong: expiry holds. */
export const MAX_CLOCK_SKEW_MS = 30_000;

export interface PassClock {
  /** Every message dated before this (ms, shared clock) is in a read that starts now. */
  seenThrough: number;
  /** Telegram's clock minus the shared clock, estimated (ms). */
  skewMs: number;
  /** The account's update sequence (pts) at the start of the pass; null if it could not be read. */
  pts: number | null;
}

export interface ClockSources {
  /** The shared clock (Redis TIME), unix ms. */
  sharedNow(): Promise<number>;
  client: { invoke<R extends Api.AnyRequest>(request: R): Promise<R['__response']> };
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Reads both clocks before a pass's history reads. */
export async function readPassClock(s: ClockSources): Promise<PassClock> {
  const before = await s.sharedNow();
  const ask = <R extends Api.AnyRequest>(req: R, what: string) => unlessAborted(withTimeout(s.client.invoke(req), s.timeoutMs, what), s.signal);
  // The pts only helps to notice gaps later: a pass does not fail for want of it.
  const [config, state] = await Promise.all([
    ask(new Api.help.GetConfig(), 'help.getConfig'),
    ask(new Api.updates.GetState(), 'updates.getState').catch(() => null),
  ]);
  const after = await s.sharedNow();
  const telegram = config.date * 1000;
  return {
    seenThrough: Math.min(telegram, before) - 1000,
    // Telegram's second is somewhere in [date, date + 1 s), read somewhere between before and after.
    skewMs: telegram + 500 - (before + after) / 2,
    pts: state?.pts ?? null,
  };
}

export const skewTooLarge = (skewMs: number): boolean => Math.abs(skewMs) > MAX_CLOCK_SKEW_MS;
