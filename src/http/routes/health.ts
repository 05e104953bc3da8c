// Liveness (/health), readiness (/ready) and Prometheus metrics (/metrics).
import { Hono } from 'hono';
import { isRedisRefusingWrites } from '../../redis/client.js';
import type { AppDeps, ComponentState } from '../deps.js';

async function redisState(deps: AppDeps): Promise<ComponentState> {
  if (deps.ctx.redis.status !== 'ready') return 'down';
  try {
    await deps.ctx.redis.set(deps.ctx.keys.readyProbe, '1', 'PX', 10_000);
    return 'up';
  } catch (err) {
    return isRedisRefusingWrites(err) ? 'refusing_writes' : 'down';
  }
}

export function healthRoutes(deps: AppDeps) {
  const app = new Hono();
  const alive = (c: import('hono').Context) => c.json({ ok: true });
  app.get('/health', alive);
  app.post('/health', alive);

  app.get('/ready', async (c) => {
    const components: Record<string, ComponentState> = { redis: await redisState(deps), ...(deps.components?.() ?? {}) };
    const ready = Object.values(components).every((s) => s === 'up' || s === 'disabled');
    return c.json({ status: ready, data: components }, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    const body = await deps.metrics.registry.metrics();
    return c.body(body, 200, { 'Content-Type': deps.metrics.registry.contentType });
  });
  return app;
}
