// One HTTP attempt: signed, timed out, redirects not followed.
import { parseRetryAfter } from './retry-delay.js';
import { signature } from './sign.js';
import { scrubUrl, type WebhookTarget } from './target.js';

export interface AttemptOutcome {
  success: boolean;
  status: number | null;
  error?: string;
  retryAfterMs: number | null;
  durationMs: number;
}

export interface SendOptions {
  target: WebhookTarget;
  id: string;
  body: string;
  key: Buffer | null;
  timeoutMs: number;
  success: 'ok' | '2xx';
  userAgent: string;
  signal?: AbortSignal;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `ok`: 200 with JSON {"ok": true} (the original's rule); `2xx`: any 2xx. */
export function isSuccess(mode: 'ok' | '2xx', status: number, body: string): boolean {
  if (mode === '2xx') return status >= 200 && status < 300;
  if (status !== 200) return false;
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === 'object' && parsed !== null && (parsed as { ok?: unknown }).ok === true;
  } catch {
    return false;
  }
}

export async function sendWebhook(o: SendOptions): Promise<AttemptOutcome> {
  const started = performance.now();
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': o.userAgent,
    'webhook-id': o.id,
    'webhook-timestamp': String(timestamp),
  };
  if (o.key) headers['webhook-signature'] = signature(o.key, o.id, timestamp, o.body);
  if (o.target.authorization) headers.authorization = o.target.authorization;
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([timeout, o.signal]) : timeout;
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await fetch(o.target.url, { method: 'POST', headers, body: o.body, redirect: 'manual', signal });
    const text = await readCapped(res);
    const success = isSuccess(o.success, res.status, text);
    const retryAfterMs = res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers.get('retry-after')) : null;
    return {
      success,
      status: res.status,
      ...(success ? {} : { error: res.status >= 300 && res.status < 400 ? 'redirect not followed' : `unexpected response ${res.status}` }),
      retryAfterMs,
      durationMs: elapsed(),
    };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const error =
      timeout.aborted ? `timed out after ${o.timeoutMs} ms` : o.signal?.aborted ? 'aborted: shutting down' : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { success: false, status: null, error: scrubUrl(error, o.target), retryAfterMs: null, durationMs: elapsed() };
  }
}
