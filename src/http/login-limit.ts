// Failed HTTP Basic logins per client address: after MAX_FAILURES within WINDOW_MS the address
// gets 429 until the window ends, whatever it sends, so a password cannot be guessed at
// thousands of tries a second. Kept in memory per daemon (it must work while Redis is down);
// the LRU bound keeps an attacker rotating addresses from growing it without limit.
import { LRUCache } from 'lru-cache';

export const MAX_FAILURES = 10;
export const WINDOW_MS = 60_000;

interface Failures {
  count: number;
  resetAt: number;
}

export class LoginLimiter {
  private readonly failures = new LRUCache<string, Failures>({ max: 100_000 });

  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds until `address` may try again; 0 when it may now. */
  retryAfterSec(address: string): number {
    const f = this.failures.get(address);
    if (!f || f.count < MAX_FAILURES) return 0;
    return Math.max(1, Math.ceil((f.resetAt - this.now()) / 1000));
  }

  /** Records a failed login; true when this one reached the limit. */
  fail(address: string): boolean {
    const now = this.now();
    let f = this.failures.get(address);
    if (!f || f.resetAt <= now) f = { count: 0, resetAt: now + WINDOW_MS };
    f.count++;
    this.failures.set(address, f, { ttl: f.resetAt - now });
    return f.count === MAX_FAILURES;
  }
}
