import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Events } from '../events.js';
import type { WatchedBotId } from '../bot-messages/bots.js';
import type { MessageProcessor } from '../matching/process-message.js';
import type { TxContext } from '../transactions/context.js';

export type ComponentState = 'up' | 'down' | 'disabled' | 'connecting' | 'refusing_writes';

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
}
