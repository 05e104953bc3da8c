// Liveness (/health), readiness (/ready) and Prometheus metrics (/metrics).
import { Hono } from 'hono';
import type { AppDeps, ComponentState } from '../deps.js';

export function healthRoutes(deps: AppDeps) {
  const app = new Hono();
  const alive = (c: import('hono').Context) => c.json({ ok: true });
  app.get('/health', alive);
  app.post('/health', alive);

  app.get('/ready', async (c) => {
    const components: Record<string, ComponentState> = { redis: await deps.redisState(), ...(deps.components?.() ?? {}) };
    const ready = Object.values(components).every((s) => s === 'up' || s === 'disabled');
    return c.json({ status: ready, data: { ...components, ...(deps.details?.() ?? {}) } }, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    const body = await deps.metrics.registry.metrics();
    return c.body(body, 200, { 'Content-Type': deps.metrics.registry.contentType });
  });
  return app;
}
