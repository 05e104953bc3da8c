// HTTP requests and their latency by route pattern, method and status. Routes are named by
// pattern (`/transaction/:id`), and unknown paths are all `other`, so a scanner cannot create
// a time series per URL.
import type { MiddlewareHandler } from 'hono';
import type { Metrics } from '../metrics/metrics.js';

const ROUTES: [RegExp, string][] = [
  [/^\/create\/transaction$/, '/create/transaction'],
  [/^\/transaction\/[^/]+\/cancel$/, '/transaction/:id/cancel'],
  [/^\/transaction\/[^/]+$/, '/transaction/:id'],
  [/^\/sandbox\/credit$/, '/sandbox/credit'],
  [/^\/health$/, '/health'],
  [/^\/ready$/, '/ready'],
  [/^\/metrics$/, '/metrics'],
];
const METHODS = new Set(['GET', 'POST', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function routeOf(path: string): string {
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return ROUTES.find(([re]) => re.test(p))?.[1] ?? 'other';
}

export function requestMetrics(metrics: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const labels = {
        route: routeOf(c.req.path),
        method: METHODS.has(c.req.method) ? c.req.method : 'other',
        status: String(c.res.status),
      };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
    }
  };
}
