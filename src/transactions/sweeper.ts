// Runs sweepOnce about once a second until stopped. Redis outages are logged once and
// waited out; the next pass catches up on everything that fell due meanwhile.
import type { Logger } from '../log/logger.js';
import { isRedisUnavailable } from '../redis/client.js';
import type { TxContext } from './context.js';
import { sweepOnce, type SweepResult } from './sweep.js';

export interface Sweeper {
  stop(): Promise<void>;
}

export function startSweeper(
  ctx: TxContext,
  log: Logger,
  opts: {
    intervalMs?: number;
    onSweep?: (r: SweepResult) => void;
    /** False while expiring would be unfair: a payment may be waiting unread (Telegram down). */
    canExpire?: () => boolean;
  } = {},
): Sweeper {
  const interval = opts.intervalMs ?? 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let failing = false;
  let held = false;

  const tick = async () => {
    try {
      let r: SweepResult;
      // Keep going while a pass was full, so a backlog clears without waiting a second per batch.
      const expire = opts.canExpire?.() ?? true;
      if (expire === held) {
        held = !expire;
        if (held) log.warn('expiry paused: bank messages cannot be read, so a payment may be waiting unread');
        else log.info('expiry resumed');
      }
      do {
        r = await sweepOnce(ctx, { expire });
        opts.onSweep?.(r);
      } while (!stopped && r.expired.length >= 200);
      if (failing) log.info('expiry sweeper resumed');
      failing = false;
    } catch (err) {
      if (!failing) log.warn({ err, redis_down: isRedisUnavailable(err) }, 'expiry sweep failed; retrying');
      failing = true;
    }
  };

  const loop = () => {
    if (stopped) return;
    running = tick().finally(() => {
      if (!stopped) timer = setTimeout(loop, interval);
    });
  };
  loop();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
