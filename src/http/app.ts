// The Hono app: routes per feature, one error shape, auth on the merchant endpoints.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { isRedisRefusingWrites, isRedisUnavailable } from '../redis/client.js';
import { NotReplicatedError, ReplicasMissingError } from '../redis/commands.js';
import { WAIT_TIMEOUT_MS } from '../transactions/context.js';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import { addressBucket } from './address-bucket.js';
import { basicAuth } from './auth.js';
import { refuseCrossSite } from './cross-site.js';
import type { AppDeps } from './deps.js';
import { LoginLimiter, MAX_FAILURES, WINDOW_MS } from './login-limit.js';
import { requestMetrics } from './request-metrics.js';
import { HttpError, fail } from './respond.js';
import { healthRoutes } from './routes/health.js';
import { sandboxRoutes } from './routes/sandbox.js';
import { transactionRoutes } from './routes/transactions.js';
import { cardRoutes } from './routes/cards.js';
import { OWN_FORM_PATH, payPageRoutes } from './routes/pay-page.js';
import { creditRoutes } from './routes/credits.js';

export const BODY_LIMIT_BYTES = 16 * 1024;

/** Trailing slashes are optional (README: HTTP API): route on the path without them. */
function pathWithoutTrailingSlash(req: Request): string {
  const url = req.url;
  const start = url.indexOf('/', url.indexOf('://') + 3);
  const q = url.indexOf('?', start);
  const path = q === -1 ? url.slice(start) : url.slice(start, q);
  return path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') || '/' : path;
}

/** The peer's address, or with TRUST_PROXY the last X-Forwarded-For entry: the one our own
 * proxy appended (earlier entries come from the client and prove nothing). */
function clientAddress(c: Context, trustProxy: boolean): string {
  const socket = (c.env as HttpBindings | undefined)?.incoming?.socket?.remoteAddress ?? 'unknown';
  if (!trustProxy) return socket;
  const last = c.req.header('x-forwarded-for')?.split(',').pop()?.trim();
  return last || socket;
}

export function createApp(deps: AppDeps) {
  const app = new Hono({ getPath: pathWithoutTrailingSlash });
  let warnedProxy = false;
  const auth = basicAuth(deps.settings.username, deps.settings.password, {
    limiter: new LoginLimiter(),
    clientAddress: (c) => {
      // Behind a proxy without TRUST_PROXY every client shares the proxy's address, so one
      // guesser would lock the merchant's own backend out too: say so once.
      if (!deps.settings.trustProxy && !warnedProxy && c.req.header('x-forwarded-for') !== undefined) {
        warnedProxy = true;
        deps.log.warn('requests carry X-Forwarded-For but TRUST_PROXY is false: the failed-login limit counts the proxy as one client; set TRUST_PROXY=true behind a reverse proxy');
      }
      return addressBucket(clientAddress(c, deps.settings.trustProxy));
    },
    onFailure: (outcome, address, reachedLimit) => {
      deps.metrics.authFailures.inc({ outcome });
      if (reachedLimit) {
        deps.log.warn({ client: address, failures: MAX_FAILURES, window_s: WINDOW_MS / 1000 }, 'repeated failed logins; address limited (429)');
      }
    },
  });

  app.use('*', requestMetrics(deps.metrics));
  // Before auth: a forged request is refused whatever credentials the browser attached.
  app.use('*', refuseCrossSite({ harmless: (path) => path === '/health', ownForm: (path) => OWN_FORM_PATH.test(path) }));

  // A declared Content-Length is checked up front (Node never hands over more bytes than it
  // says); only chunked bodies go through Hono's streaming limit, which forces the slower
  // web-stream body path and cost most of a create's CPU when applied to every request.
  const tooLarge = () => new HttpError(413, `request body is larger than ${BODY_LIMIT_BYTES / 1024} KB`);
  const streamingLimit = bodyLimit({
    maxSize: BODY_LIMIT_BYTES,
    onError: () => {
      throw tooLarge();
    },
  });
  app.use('*', async (c, next) => {
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (!/^\d{1,15}$/.test(length) || Number(length) > BODY_LIMIT_BYTES) throw tooLarge();
      return next();
    }
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return streamingLimit(c, next);
  });
  app.use('/create/*', auth);
  app.use('/transaction/*', auth);
  app.use('/transactions', auth);
  app.use('/credits', auth);
  app.use('/credits/*', auth);
  app.use('/sandbox/*', async (c, next) => {
    if (!deps.settings.sandbox) throw new HttpError(404, 'not found: the sandbox is off (SANDBOX=false)');
    await next();
  });
  app.use('/sandbox/*', auth);
  app.use('/cards', auth);
  app.use('/cards/*', auth);

  app.route('/', healthRoutes(deps));
  app.route('/', transactionRoutes(deps));
  app.route('/', sandboxRoutes(deps));
  app.route('/', cardRoutes({ ...deps, onCardsChanged: async () => deps.cards?.refresh() }));
  if (deps.payFeed && deps.payStreams) app.route('/', payPageRoutes({ ...deps, feed: deps.payFeed, streams: deps.payStreams }));
  app.route('/', creditRoutes(deps));

  // A known path with the wrong method is a 405 naming the right one, not a puzzling 404.
  const allowed: [string, string][] = [
    ['/create/transaction', 'POST'],
    ['/transaction/:id', 'GET'],
    ['/transaction/:id/cancel', 'POST'],
    ['/transaction/:id/confirm', 'POST'],
    ['/transactions', 'GET'],
    ['/credits', 'GET'],
    ['/credits/:id', 'GET'],
    ['/credits/:id/attach', 'POST'],
    ['/credits/:id/dismiss', 'POST'],
    ['/sandbox/credit', 'POST'],
    ['/health', 'GET, POST'],
    ['/ready', 'GET'],
    ['/metrics', 'GET'],
    ['/cards', 'GET, POST'],
    ['/cards/:last4', 'GET, PATCH, DELETE'],
    ['/pay/:id', 'GET'],
    ['/pay/:id/status', 'GET'],
    ['/pay/:id/events', 'GET'],
  ];
  for (const [path, allow] of allowed) {
    app.all(path, (c) => fail(c, 405, `method ${c.req.method} not allowed; use ${allow}`, { Allow: allow }));
  }
  app.notFound((c) => fail(c, 404, 'not found'));
  app.onError((err, c) => {
    if (err instanceof HttpError) return fail(c, err.status, err.detail, err.headers);
    if (isRedisUnavailable(err) || !deps.redisConnected()) {
      return fail(c, 503, 'Redis is unreachable; try again shortly', { 'Retry-After': '1' });
    }
    // Too few replicas: said apart, because what the client should do differs.
    if (err instanceof ReplicasMissingError) {
      const have = err.wanted === null ? 'the replicas paycue requires are not known yet' : `${err.connected ?? 'an unknown number'} of the ${err.wanted} replicas paycue requires ${err.connected === 1 ? 'is' : 'are'} connected`;
      return fail(c, 503, `Redis refuses writes (NOREPLICAS): ${have}; nothing was written, try again later`, { 'Retry-After': '5' });
    }
    if (err instanceof NotReplicatedError) {
      deps.log.warn({ acked: err.acked, wanted: err.wanted, path: c.req.path }, 'a write was made but not confirmed by enough replicas in time; not acknowledged');
      return fail(
        c,
        503,
        `Redis refuses writes (NOREPLICAS): the change was made but only ${err.acked} of ${err.wanted} replicas confirmed it within ${WAIT_TIMEOUT_MS / 1000} s, ` +
          'so it is not acknowledged (a failover could undo it); repeat the same request (with the same Idempotency-Key) for its result',
        { 'Retry-After': '2' },
      );
    }
    if (isRedisRefusingWrites(err)) {
      deps.log.warn({ err: (err as Error).message.split('\n')[0], path: c.req.path }, 'redis refuses writes');
      return fail(c, 503, `Redis refuses writes (${(err as Error).message.split(' ')[0]}); try again later`, { 'Retry-After': '5' });
    }
    deps.log.error({ err, path: c.req.path }, 'request failed'); // the serializer drops a Redis command's arguments
    return fail(c, 500, 'internal error');
  });
  return app;
}
