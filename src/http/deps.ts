import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Events } from '../events.js';
import type { WatchedBotId } from '../bot-messages/bots.js';
import type { MessageProcessor } from '../matching/process-message.js';
import type { TxContext } from '../transactions/context.js';
import type { CardDirectory } from '../cards/directory.js';
import type { PayFeed } from '../pay-page/feed.js';
import type { StreamRegistry } from '../pay-page/streams.js';

export type ComponentState = 'up' | 'down' | 'disabled' | 'connecting' | 'degraded' | 'refusing_writes' | 'standby';

/** What the HTTP layer needs to know of the configuration (made by daemon/rules.ts). */
export interface HttpSettings {
  username: string;
  password: string;
  sandbox: boolean;
  /** Take the client address from the last X-Forwarded-For entry (our own proxy's). */
  trustProxy: boolean;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** The watched bots; the sandbox's text form defaults to the first. */
  bots: WatchedBotId[];
  /** Pay page: public base URL (pay_url), requests a minute per client, SSE heartbeat. */
  publicUrl?: string;
  payRateLimit: number;
  payHeartbeatMs: number;
}

/** What the HTTP layer needs from the daemon. */
export interface AppDeps {
  settings: HttpSettings;
  ctx: TxContext;
  log: Logger;
  metrics: Metrics;
  events: Events;
  processor: MessageProcessor;
  /** Whether Redis answers now (for /ready, and to tell an outage from a bug). */
  redisState: () => Promise<ComponentState>;
  /** Is the Redis connection up at all (no round trip). */
  redisConnected: () => boolean;
  /** Each other component's state for /ready. */
  components?: () => Record<string, ComponentState>;
  /** Shown by /ready without deciding readiness (the API works while expiry is held). */
  details?: () => Record<string, string | number | null>;
  /** The daemon's view of the card registry (src/cards); absent: CARDS only. */
  cards?: CardDirectory;
  /** The pay page's live updates and open-stream cap (src/pay-page); absent: no pay page. */
  payFeed?: PayFeed;
  payStreams?: StreamRegistry;
}
