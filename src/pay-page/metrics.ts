// The pay page's figures on the daemon's /metrics: open status streams, and requests turned
// away (stream cap, rate limit), so an operator sees when the limits bite.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { StreamRegistry } from './streams.js';

export type RefusalReason = 'streams_cap' | 'rate_limit';

export function payMetrics(registry: Registry, streams: StreamRegistry): { refused: (reason: RefusalReason) => void } {
  new Gauge({
    name: 'paycue_pay_streams_open',
    help: 'Pay page status streams (SSE) open now.',
    registers: [registry],
    collect() {
      this.set(streams.open);
    },
  });
  const refused = new Counter({
    name: 'paycue_pay_requests_refused_total',
    help: 'Public pay page requests turned away: streams_cap (503, the page polls instead) or rate_limit (429).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  // Every reason starts at 0, so rate() has a series before the first refusal.
  for (const reason of ['streams_cap', 'rate_limit'] as const) refused.inc({ reason }, 0);
  return { refused: (reason) => refused.inc({ reason }) };
}
