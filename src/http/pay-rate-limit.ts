// Per-client token bucket for the public pay endpoints (per IPv4 address, per IPv6 /64), in
// memory: it costs no Redis call (an unknown id must cost at most one) and each daemon protects
// itself. X-Forwarded-For is believed only behind a trusted proxy (TRUST_PROXY=true), and then
// only its last hop.
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { addressBucket } from './address-bucket.js';

export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = c.req.header('x-forwarded-for');
    const last = xff?.split(',').pop()?.trim();
    if (last) return last;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  /** `perMinute` requests a minute, in bursts of up to `perMinute`. */
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** 0 when allowed, else the seconds until a token is available. */
  take(key: string): number {
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size > 100_000) this.sweep(now);
      b = { tokens: this.perMinute, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
  }

  /** Forget full buckets: they behave exactly like new ones. */
  private sweep(now: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (now - b.at) * this.perMs >= this.perMinute) this.buckets.delete(k);
  }
}

export function rateLimit(perMinute: number, trustProxy: boolean, onLimited: (c: Context, retryAfter: number) => Response): MiddlewareHandler {
  if (perMinute === 0) return async (_c, next) => next();
  const limiter = new RateLimiter(perMinute);
  return async (c, next) => {
    const wait = limiter.take(addressBucket(clientIp(c, trustProxy)));
    if (wait > 0) return onLimited(c, wait);
    await next();
  };
}
