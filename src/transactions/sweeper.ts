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
  opts: { intervalMs?: number; onSweep?: (r: SweepResult) => void } = {},
): Sweeper {
  const interval = opts.intervalMs ?? 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let failing = false;

  const tick = async () => {
    try {
      let r: SweepResult;
      // Keep going while a pass was full, so a backlog clears without waiting a second per batch.
      do {
        r = await sweepOnce(ctx);
        for (const id of r.expired) log.info({ transaction_id: id }, 'transaction expired');
        opts.onSweep?.(r);
      } while (!stopped && r.expired.length >= 200);
      if (failing) log.info('expiry sweeper resumed');
      failing = false;
    } catch (err) {
      if (!failing) log.warn({ err: (err as Error).message, redis_down: isRedisUnavailable(err) }, 'expiry sweep failed; retrying');
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
