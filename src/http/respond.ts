// Every response is {"status": bool, "data": …}; errors carry data.detail (README: HTTP API).
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export function ok(c: Context, data: object, status: ContentfulStatusCode = 200) {
  return c.json({ status: true, data }, status);
}

export function fail(c: Context, status: ContentfulStatusCode, detail: string, headers: Record<string, string> = {}) {
  return c.json({ status: false, data: { detail } }, status, headers);
}
