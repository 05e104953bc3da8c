// Liveness (/health), readiness (/ready) and Prometheus metrics (/metrics).
import { Hono } from 'hono';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppDeps, ComponentState } from '../deps.js';
import { fail } from '../respond.js';

/** Constant-time, on digests so the lengths do not leak either. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer +(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1] as string), digest(token));
}

export function healthRoutes(deps: AppDeps) {
  const app = new Hono();
  const alive = (c: import('hono').Context) => c.json({ ok: true });
  app.get('/health', alive);
  app.post('/health', alive);

  app.get('/ready', async (c) => {
    const components: Record<string, ComponentState> = { redis: await deps.redisState(), ...(deps.components?.() ?? {}) };
    // A standby (another process watches Telegram) serves the API: ready for a load balancer.
    const ready = Object.values(components).every((s) => s === 'up' || s === 'disabled' || s === 'standby');
    return c.json({ status: ready, data: { ...components, ...(deps.details?.() ?? {}) } }, ready ? 200 : 503);
  });

  const token = deps.settings.metricsToken;
  app.get('/metrics', async (c) => {
    if (token !== undefined && !bearerMatches(c.req.header('authorization'), token)) {
      return fail(c, 401, 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>', { 'WWW-Authenticate': 'Bearer realm="paycue-metrics"' });
    }
    const body = await deps.metrics.registry.metrics();
    return c.body(body, 200, { 'Content-Type': deps.metrics.registry.contentType });
  });
  return app;
}
