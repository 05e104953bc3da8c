// A webhook dispatcher on the test Redis, with its own blocking connection, started.
import { Events } from '../../src/events.js';
import { createLogger } from '../../src/log/logger.js';
import { Metrics } from '../../src/metrics/metrics.js';
import type { TxContext } from '../../src/transactions/context.js';
import { WebhookDispatcher, type DispatcherTimings, type WebhookSettings } from '../../src/webhooks/dispatcher.js';
import { webhookTarget } from '../../src/webhooks/target.js';
import { openRedis } from './redis.js';

const log = createLogger({ debug: false, level: 'silent' });

export async function startDispatcher(
  ctx: TxContext,
  url: string,
  timings: DispatcherTimings,
  settings: Partial<WebhookSettings> = {},
): Promise<WebhookDispatcher> {
  const d = new WebhookDispatcher({
    ctx,
    blocking: await openRedis(),
    settings: { target: webhookTarget(url), workers: 4, retries: 3, backoffMs: [50], timeoutMs: 10_000, success: 'ok', userAgent: 'paycue/test', ...settings },
    log,
    events: new Events(log, new Metrics()),
    timings,
  });
  await d.ensureGroup();
  d.start();
  return d;
}
