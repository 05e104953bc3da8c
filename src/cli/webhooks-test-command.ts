// `paycue webhooks test`: sends the signed test event (ops/webhook-test.ts) and says how it was answered.
import type { CliIO } from './io.js';
import { describeTestEvent, sendTestEvent, type TestEventSettings } from '../ops/webhook-test.js';

/** `paycue webhooks test`: exit 0 when the receiver reported success, 1 otherwise. */
export async function runWebhooksTest(s: TestEventSettings, io: CliIO): Promise<number> {
  const r = await sendTestEvent(s);
  const { verdict, line } = describeTestEvent(r, s.target.display);
  if (verdict === 'ok') io.out(line);
  else io.err(line);
  return verdict === 'ok' ? 0 : 1;
}
