// HTTP Basic auth compared in constant time: both sides are hashed first so neither the
// length nor the content of the credentials leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { LoginLimiter } from './login-limit.js';
import { HttpError } from './respond.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export interface FailureLimit {
  limiter: LoginLimiter;
  clientAddress: (c: Context) => string;
  /** Every wrong login ('unauthorized') and every request refused for too many ('limited'). */
  onFailure?: (outcome: 'unauthorized' | 'limited', address: string, reachedLimit: boolean) => void;
}

export function basicAuth(username: string, password: string, limit?: FailureLimit): MiddlewareHandler {
  const expected = digest(`${username}:${password}`);
  const check = checker(expected);
  if (!limit) return check;
  return async (c, next) => {
    const address = limit.clientAddress(c);
    const wait = limit.limiter.retryAfterSec(address);
    if (wait > 0) {
      limit.onFailure?.('limited', address, false);
      throw new HttpError(429, `too many failed logins from this address; try again in ${wait} s`, { 'Retry-After': String(wait) });
    }
    try {
      await check(c, next);
    } catch (err) {
      // A request without credentials guesses nothing; wrong or malformed ones count.
      if (err instanceof HttpError && err.status === 401 && c.req.header('authorization') !== undefined) {
        limit.onFailure?.('unauthorized', address, limit.limiter.fail(address));
      }
      throw err;
    }
  };
}

function checker(expected: Buffer): MiddlewareHandler {
  const unauthorized = (why: string) =>
    new HttpError(401, why, { 'WWW-Authenticate': 'Basic realm="paycue"' });
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) throw unauthorized('authentication required');
    const m = /^Basic +([A-Za-z0-9+/=]{1,1024})$/i.exec(header.trim());
    if (!m) throw unauthorized('expected HTTP Basic credentials');
    const given = digest(Buffer.from(m[1] as string, 'base64').toString('utf8'));
    if (!timingSafeEqual(given, expected)) throw unauthorized('wrong username or password');
    await next();
  };
}
