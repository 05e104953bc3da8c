// Where webhooks go. Credentials in WEBHOOK_URL (`https://user:pass@host/hook`) are sent as an
// Authorization: Basic header (fetch refuses URLs with userinfo), and what is ever shown of the
// URL — logs, the attempt log, CLI output — is its origin and path: no userinfo, no query string
// (merchants put tokens there).
export interface WebhookTarget {
  /** The URL requested: userinfo removed, query kept. */
  url: string;
  authorization?: string;
  /** Safe to print: origin and path only. */
  display: string;
}

/** `%40` → `@`; a lone `%` (valid in a URL, not as an escape) is kept as written. */
function decodeLenient(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function webhookTarget(raw: string): WebhookTarget {
  const u = new URL(raw);
  const display = `${u.origin}${u.pathname}`;
  if (!u.username && !u.password) return { url: u.toString(), display };
  const user = decodeLenient(u.username);
  const pass = decodeLenient(u.password);
  u.username = '';
  u.password = '';
  return { url: u.toString(), authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`, display };
}

/** Replaces any spelling of the target's URL in a message with its display form. */
export function scrubUrl(message: string, target: Pick<WebhookTarget, 'url' | 'display'>): string {
  const u = new URL(target.url);
  const spellings = [target.url, `${u.origin}${u.pathname}${u.search}`, u.search].filter((s) => s.length > 1);
  let out = message;
  for (const s of spellings) out = out.split(s).join(s === u.search ? '' : target.display);
  return out;
}
