import type { Config } from '../config/env.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { MessageProcessor } from '../matching/process-message.js';
import type { TxContext } from '../transactions/context.js';
import type { CardDirectory } from '../cards/directory.js';
import type { PayFeed } from '../pay-page/feed.js';
import type { StreamRegistry } from '../pay-page/streams.js';

export type ComponentState = 'up' | 'down' | 'disabled' | 'connecting';

/** What the HTTP layer needs from the daemon. */
export interface AppDeps {
  config: Config;
  ctx: TxContext;
  log: Logger;
  metrics: Metrics;
  processor: MessageProcessor;
  /** Each component's state for /ready; the Redis part is checked by the route itself. */
  components?: () => Record<string, ComponentState>;
  /** The daemon's view of the card registry (src/cards); absent: CARDS only. */
  cards?: CardDirectory;
  /** The pay page's live updates and open-stream cap (src/pay-page); absent: no pay page. */
  payFeed?: PayFeed;
  payStreams?: StreamRegistry;
}
