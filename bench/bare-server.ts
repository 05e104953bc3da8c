// The baselines for (a): the same @hono/node-server set-up (startHttpServer), the same Basic
// auth middleware and the same JSON body reader as paycue, then a trivial answer. With
// `redis`, the handler also makes one Redis round trip (PING) first: the floor for any create
// that has to ask Redis, which tells the Redis share of the gap from paycue's own.
import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import { basicAuth } from '../src/http/auth.js';
import { readJson } from '../src/http/json-body.js';
import { HttpError, fail, ok } from '../src/http/respond.js';
import { startHttpServer, type HttpServer } from '../src/http/server.js';

export async function startBareServer(user: string, password: string, redis?: Redis): Promise<HttpServer> {
  const app = new Hono({ strict: false });
  app.use('/create/*', basicAuth(user, password));
  app.post('/create/transaction', async (c) => {
    const body = (await readJson(c)) as { amount?: unknown };
    if (redis) await redis.ping();
    return ok(c, { amount: body?.amount ?? null });
  });
  app.notFound((c) => fail(c, 404, 'not found'));
  app.onError((err, c) => (err instanceof HttpError ? fail(c, err.status, err.detail, err.headers) : fail(c, 500, 'internal error')));
  return startHttpServer(app.fetch, '127.0.0.1', 0);
}
