// Runs sweepOnce about once a second until stopped. Redis outages are logged once and
// waited out; the next pass catches up on everything that fell due meanwhile.
import type { Logger } from '../log/logger.js';
import { isRedisUnavailable } from '../redis/client.js';
import type { TxContext } from './context.js';
import { sweepOnce, type ExpiryState, type SweepResult } from './sweep.js';

export interface Sweeper {
  /** What the last pass found about expiry (null before the first). */
  expiry(): ExpiryState | null;
  stop(): Promise<void>;
}

export function startSweeper(
  ctx: TxContext,
  log: Logger,
  opts: {
    intervalMs?: number;
    onSweep?: (r: SweepResult) => void;
  } = {},
): Sweeper {
  const interval = opts.intervalMs ?? 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let failing = false;
  let last: ExpiryState | null = null;

  const tick = async () => {
    try {
      const r = await sweepOnce(ctx);
      last = r.expiry;
      opts.onSweep?.(r);
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
    expiry: () => last,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
