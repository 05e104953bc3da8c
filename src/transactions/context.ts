// What every transaction operation needs: the Redis connection, its typed scripts, key names
// and the rules (made from the configuration by daemon/rules.ts, never read from it here).
import type { RedisConnection } from '../redis/client.js';
import { Commands, type Clock, type Durability, type ExpiryRule } from '../redis/commands.js';
import { redisKeys, type RedisKeys } from '../redis/keys.js';
import type { AmountDirection, AmountStep } from '../money/amount.js';

export interface TransactionRules {
  step: AmountStep;
  direction: AmountDirection;
  limit: number;
  ttlMs: number;
  quarantineMs: number;
  /** Configured last-4s; empty means one implicit card. */
  cards: string[];
  /** How long closed records are kept. */
  keepMs: number;
  /** How long a processed Telegram message is remembered (s). */
  messageTtlSec: number;
  unmatchedCap: number;
  /** Replicas that must have each acknowledged write (REDIS_MIN_REPLICAS). */
  minReplicas?: number;
  /** Resolved credit records are kept this long; open ones until settled. */
  creditKeepMs: number;
  /** A credit's raw bank text is trimmed this long after it arrived. */
  creditTextKeepMs: number;
  /** WEBHOOK_LATE_PAYMENT: a credit for a cancelled transaction sends a `late_payment` event. */
  latePayment: boolean;
  /** When a deadline counts as passed: PAYMENT_GRACE after it, by the watermark (sandbox: the clock). */
  expiry: ExpiryRule;
}

export interface TxContext {
  /** Re-reads the card registry (the daemon's card list is kept in memory and may be behind). */
  refreshCards?: () => Promise<void>;
  redis: RedisConnection;
  keys: RedisKeys;
  commands: Commands;
  rules: TransactionRules;
  /** The shared clock's offset (0 but in tests); the scripts stamp and compare with Redis TIME. */
  clock: Clock;
  /** This process's reading of the shared clock, for what needs no agreement between daemons
   * (audit notes, retry times); deadlines and expiry are decided by the scripts on Redis's clock. */
  now: () => number;
}

/** A replica that has not confirmed within this is as good as none: the write is not acknowledged.
 * Shorter than the connections' 1 s command timeout, so that Redis answers (NOREPLICAS, a 503
 * that says so) before the client gives up on it (which would look like an outage). */
export const WAIT_TIMEOUT_MS = 700;

/** The daemon's write side: its own connection, the live requirement and the gate (src/replicas). */
export type WriteSide = Pick<Durability, 'writer' | 'gate' | 'replicas'>;

export function createTxContext(
  redis: RedisConnection,
  prefix: string,
  rules: TransactionRules,
  clock: Clock = { offsetMs: 0 },
  writes?: WriteSide,
): TxContext {
  const keys = redisKeys(prefix);
  const durability: Durability = { replicas: rules.minReplicas ?? 0, timeoutMs: WAIT_TIMEOUT_MS, ...writes };
  return { redis, keys, commands: new Commands(redis, keys, durability, clock), rules, clock, now: () => Date.now() + clock.offsetMs };
}
