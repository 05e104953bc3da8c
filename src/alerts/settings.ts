// What the alert bot needs (made from ALERT_* by daemon/rules.ts).
import type { AttachTolerance } from '../config/env.js';

export interface AlertSettings {
  /** The merchant's bot token from @BotFather. A secret: never logged. */
  token: string;
  /** A user id or a group id (negative). */
  chatId: number;
  /** User ids allowed to press buttons; empty: the chat itself (that user, or any member of that group). */
  admins: number[];
  /** A Bot API server other than Telegram's (a local one, or tests). */
  apiRoot?: string;
  /** How far a pending order's amount may be from a credit's for its alert to offer it. */
  attachTolerance: AttachTolerance;
  /** Faster loops for tests. */
  timings?: Partial<AlertTimings>;
}

export interface AlertTimings {
  /** How often the outbox and the health conditions are looked at. */
  tickMs: number;
  /** Long-polling timeout (s). */
  pollSeconds: number;
  /** A condition must last this long before it is reported. */
  telegramDownMs: number;
  redisDownMs: number;
  /** Writes refused for too few Redis replicas this long before it is reported. */
  replicasShortMs: number;
  /** At most this many messages per minute; the rest wait, and a backlog becomes one summary. */
  perMinute: number;
  /** More open credits than this at once are one summary message. */
  burst: number;
}

export const DEFAULT_ALERT_TIMINGS: AlertTimings = {
  tickMs: 1000,
  pollSeconds: 30,
  telegramDownMs: 120_000,
  redisDownMs: 30_000,
  replicasShortMs: 10_000,
  perMinute: 12,
  burst: 3,
};
