// What is allowed but probably not meant: logged as warnings at every start, so the operator
// sees them in the journal. Refusals are in env.ts; these never stop the daemon.
import { bareNumber } from './duration.js';
import { KNOWN_VARIABLES, type Config } from './env.js';

/** Every duration but TRANSACTION_TTL, whose bare minutes are the original's meaning. */
const DURATIONS = ['WEBHOOK_TIMEOUT', 'AMOUNT_QUARANTINE', 'WEBHOOK_BACKOFF', 'PAY_HEARTBEAT', 'TELEGRAM_TAKEOVER'] as const;

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(cur + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}

/** A variable that looks like one of ours (same first word, e.g. WEBHOOK_SECERT) but is not. */
export function lookAlikes(env: Record<string, string | undefined>): { name: string; closest: string }[] {
  const known = new Set(KNOWN_VARIABLES);
  const prefixes = new Set(KNOWN_VARIABLES.map((n) => n.split('_')[0] as string));
  const out: { name: string; closest: string }[] = [];
  for (const name of Object.keys(env)) {
    if (known.has(name) || !/^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/.test(name) || !prefixes.has(name.split('_')[0] as string)) continue;
    const closest = [...known].sort((x, y) => distance(name, x) - distance(name, y))[0] as string;
    out.push({ name, closest });
  }
  return out;
}

export function configWarnings(env: Record<string, string | undefined>, c: Config): string[] {
  const out: string[] = [];
  for (const { name, closest } of lookAlikes(env)) out.push(`${name} is not a paycue setting and is ignored; did you mean ${closest}?`);
  for (const name of DURATIONS) {
    const raw = env[name];
    const bare = name === 'WEBHOOK_BACKOFF' ? (raw ?? '').split(',').some((p) => bareNumber(p)) : bareNumber(raw);
    if (bare) out.push(`${name}=${raw?.trim()}: a number without a unit means minutes; write e.g. 10s or 5s,30s,2m if you meant seconds`);
  }
  if (!c.sandbox && !c.webhookSecret) {
    out.push('WEBHOOK_SECRET is empty: webhooks are not signed, so whoever learns WEBHOOK_URL can forge a confirm; set one (whsec_…)');
  }
  const loopback = c.host === 'localhost' || c.host.startsWith('127.') || c.host === '::1';
  if (c.sandbox && !loopback) {
    out.push(`SANDBOX=true while listening on ${c.host}: anyone who reaches port ${c.port} with the API password can confirm payments that never happened; use HOST=127.0.0.1 for tests`);
  }
  return out;
}
