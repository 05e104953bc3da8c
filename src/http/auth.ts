// HTTP Basic auth compared in constant time: both sides are hashed first so neither the
// length nor the content of the credentials leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './respond.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function basicAuth(username: string, password: string): MiddlewareHandler {
  const expected = digest(`${username}:${password}`);
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
