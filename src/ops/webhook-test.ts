// A signed test event sent to WEBHOOK_URL on demand (`paycue webhooks test`, `paycue doctor`):
// the same headers and signature as a real event, with `"action": "test"` and no transaction,
// so a merchant can check their receiver and its signature check before the first payment.
import { randomUUID } from 'node:crypto';
import { secretKey } from '../webhooks/sign.js';
import { sendWebhook, type AttemptOutcome } from '../webhooks/send.js';
import type { WebhookTarget } from '../webhooks/target.js';

export interface TestEventSettings {
  target: WebhookTarget;
  secret?: string;
  timeoutMs: number;
  success: 'ok' | '2xx';
  userAgent: string;
}

export interface TestEventResult extends AttemptOutcome {
  id: string;
  signed: boolean;
}

export async function sendTestEvent(s: TestEventSettings, now = Date.now()): Promise<TestEventResult> {
  const id = `msg_test_${randomUUID()}`;
  const body = JSON.stringify({ action: 'test', occurred_at: new Date(now).toISOString() });
  const out = await sendWebhook({
    target: s.target,
    id,
    body,
    key: s.secret ? secretKey(s.secret) : null,
    timeoutMs: s.timeoutMs,
    success: s.success,
    userAgent: s.userAgent,
  });
  return { ...out, id, signed: s.secret !== undefined };
}

/** What the result means to an operator: `answered` when the receiver replied but not with success. */
export function describeTestEvent(r: TestEventResult, display: string): { verdict: 'ok' | 'answered' | 'unreachable'; line: string } {
  const signed = r.signed ? 'signed' : 'UNSIGNED (no WEBHOOK_SECRET)';
  if (r.success) return { verdict: 'ok', line: `${display} accepted the ${signed} test event ${r.id} (HTTP ${r.status}, ${r.durationMs} ms)` };
  if (r.status !== null) {
    return { verdict: 'answered', line: `${display} answered the ${signed} test event with HTTP ${r.status} (${r.error}): the receiver is up but did not report success` };
  }
  return { verdict: 'unreachable', line: `${display} did not answer the test event: ${r.error}` };
}
