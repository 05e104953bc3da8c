import type { Config } from '../config/env.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { MessageProcessor } from '../matching/process-message.js';
import type { TxContext } from '../transactions/context.js';

export type ComponentState = 'up' | 'down' | 'disabled' | 'connecting' | 'refusing_writes';

/** What the HTTP layer needs from the daemon. */
export interface AppDeps {
  config: Config;
  ctx: TxContext;
  log: Logger;
  metrics: Metrics;
  processor: MessageProcessor;
  /** Each component's state for /ready; the Redis part is checked by the route itself. */
  components?: () => Record<string, ComponentState>;
}
