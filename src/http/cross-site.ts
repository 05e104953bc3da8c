// Cross-site request forgery: a browser that has the merchant's Basic credentials cached sends
// them with any request a page on another site makes it send. Without a CORS preflight a page
// can send only a form (urlencoded, multipart or text/plain body) or a body-less request, so
// state-changing requests refuse those three body types, and refuse whatever the browser itself
// marks as coming from another site (Sec-Fetch-Site). Backends send neither; a body-less POST
// (the contract's cancel) carries no Content-Type and passes.
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './respond.js';

/** What an HTML <form> can send (the CORS-safelisted body types). */
const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
const READ_ONLY = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface CrossSiteRules {
  /** Paths whose POST changes nothing (a liveness probe): not checked. */
  harmless: (path: string) => boolean;
  /** Paths posted by paycue's own page as a plain form (no JavaScript): a form body is
   * accepted there when the browser says the page is on the same origin. */
  ownForm: (path: string) => boolean;
}

export function refuseCrossSite(rules: CrossSiteRules): MiddlewareHandler {
  return async (c, next) => {
    if (READ_ONLY.has(c.req.method) || rules.harmless(c.req.path)) return next();
    const site = c.req.header('sec-fetch-site')?.trim().toLowerCase();
    if (site === 'cross-site' || site === 'same-site') {
      throw new HttpError(403, `refused: the browser marks this request as sent by another site (Sec-Fetch-Site: ${site}); paycue's API is for your backend, not for web pages`);
    }
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (FORM_TYPES.has(type) && !(site === 'same-origin' && rules.ownForm(c.req.path))) {
      throw new HttpError(415, `Content-Type ${type} is refused (a page on another site can send it with a plain HTML form); send JSON with Content-Type: application/json, or no body where none is needed`);
    }
    return next();
  };
}
