// The public pay page: GET /pay/:id (HTML), /pay/:id/status (JSON), /pay/:id/events (SSE),
// and in sandbox POST /pay/:id/simulate. No authentication: the UUID v4 is the capability.
// A malformed id is answered without Redis; any other request reads it once.
import { Hono, type Context } from 'hono';
import { compress } from 'hono/compress';
import type { AppDeps } from '../deps.js';
import { fail, ok } from '../respond.js';
import { chooseLang, isLang } from '../../pay-page/i18n/index.js';
import { readPayStatus, type LoadedStatus } from '../../pay-page/status.js';
import { CONTENT_SECURITY_POLICY, renderNotFound, renderPayPage } from '../../pay-page/render.js';
import { qrSvg } from '../../pay-page/qr.js';
import { rateLimit } from '../pay-rate-limit.js';
import type { PayFeed } from '../../pay-page/feed.js';
import type { StreamRegistry } from '../../pay-page/streams.js';
import { statusStream } from './pay-page-events.js';
import { payMetrics } from '../../pay-page/metrics.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export interface PayPageDeps extends AppDeps {
  feed: PayFeed;
  streams: StreamRegistry;
}

const HTML_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** The page's own form (Simulate payment, without JavaScript): a same-origin form post. */
export const OWN_FORM_PATH = /^\/pay\/[^/]+\/simulate$/;

export function idOf(c: Context): string | null {
  const id = (c.req.param('id') ?? '').toLowerCase();
  return UUID_V4.test(id) ? id : null;
}

export function payPageRoutes(deps: PayPageDeps) {
  const { ctx, settings: config } = deps;
  const app = new Hono();
  const counters = payMetrics(deps.metrics.registry, deps.streams);
  // Behind a proxy that serves paycue under a path (PUBLIC_URL=https://shop.uz/pay-api), the
  // page's own links must carry that path too.
  const base = config.publicUrl ? new URL(config.publicUrl).pathname.replace(/\/+$/, '') : '';
  const read = (id: string): Promise<LoadedStatus | null> => readPayStatus(ctx.commands, id, ctx.rules.step, ctx.now());
  const langOf = (c: Context, atCreate?: LoadedStatus['lang']) => chooseLang(c.req.query('lang'), atCreate, c.req.header('accept-language'));

  app.use(
    '/pay/*',
    rateLimit(config.payRateLimit, config.trustProxy, (c, wait) => {
      counters.refused('rate_limit');
      return fail(c, 429, `too many requests; retry in ${wait} s`, { 'Retry-After': String(wait) });
    }),
  );

  // The page goes out compressed (a card with five long app links and its QR code is over 30 KB
  // raw, about a fifth of that gzipped: a phone on a slow network gets it at once). Only the
  // page: the event stream must not be buffered by a compressor.
  app.use('/pay/:id', compress({ contentTypeFilter: /^text\/html/ }));

  app.get('/pay/:id', async (c) => {
    const id = idOf(c);
    const loaded = id ? await read(id) : null;
    if (!loaded) return c.body(renderNotFound(langOf(c)), 404, HTML_HEADERS);
    const first = loaded.status.card.links[0];
    const html = renderPayPage(loaded.status, {
      lang: langOf(c, isLang(loaded.lang) ? loaded.lang : undefined),
      sandbox: config.sandbox,
      path: `${base}/pay/${loaded.status.transaction_id}`,
      ...(first ? { qrSvg: await qrSvg(first.url) } : {}),
    });
    return c.body(html, 200, HTML_HEADERS);
  });

  app.get('/pay/:id/status', async (c) => {
    const id = idOf(c);
    const loaded = id ? await read(id) : null;
    if (!loaded) return fail(c, 404, 'payment not found');
    c.header('Cache-Control', 'no-store');
    return ok(c, loaded.status);
  });

  app.get(
    '/pay/:id/events',
    statusStream({
      feed: deps.feed, streams: deps.streams, heartbeatMs: config.payHeartbeatMs, read, idOf,
      refused: () => counters.refused('streams_cap'),
    }),
  );

  app.post('/pay/:id/simulate', async (c) => {
    if (!config.sandbox) return fail(c, 404, 'not found: the sandbox is off (SANDBOX=false)');
    const id = idOf(c);
    const loaded = id ? await read(id) : null;
    if (!loaded) return fail(c, 404, 'payment not found');
    const st = loaded.status;
    // Exactly the path a bank message takes; one simulated message per transaction.
    const out = await deps.processor.processCredit(
      { amountTiyin: st.amount_tiyin, last4: st.card.last4, bot: 'sandbox' },
      `sandbox:page:${st.transaction_id}`,
    );
    if ((c.req.header('accept') ?? '').includes('application/json')) return ok(c, out);
    return c.redirect(`${base}/pay/${st.transaction_id}`, 303);
  });

  return app;
}
