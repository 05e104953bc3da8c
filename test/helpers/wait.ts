// Waiting in tests: poll for a state instead of sleeping for a guessed time.
import type { TxContext } from '../../src/transactions/context.js';

export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between checks (default 20 ms). */
  intervalMs?: number;
}

/**
 * Calls `check` until it returns a truthy value (which it returns), or fails after the timeout
 * with "timed out after N ms waiting for <what>" and the last value or error. A check that
 * throws counts as "not yet" (e.g. a server that is not listening yet).
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 20 }: WaitOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last = 'never checked';
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = `last value ${JSON.stringify(value)}`;
    } catch (err) {
      last = `last error: ${(err as Error).message}`;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${last})`);
    await sleep(intervalMs);
  }
}

/**
 * Waits until paycue can send no more webhooks on its own: every event on the stream has had its
 * delivery recorded (the entry is deleted in the same script) and no retry is scheduled. After
 * this, a receiver's hit count is final until something decides a new event.
 */
export async function webhooksSettled(ctx: Pick<TxContext, 'redis' | 'keys'>, opts?: WaitOptions): Promise<void> {
  await waitFor(
    'the webhook queue to drain (no stream entry, no scheduled retry)',
    async () => (await ctx.redis.xlen(ctx.keys.events)) === 0 && (await ctx.redis.zcard(ctx.keys.retries)) === 0,
    opts,
  );
}

/**
 * Only for showing that something does NOT happen, when there is no state that says it has been
 * decided: say why at the call site, and keep it as short as the behaviour allows.
 */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
