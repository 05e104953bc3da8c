// `paycue demo [--keep]`; with --keep the demo holds until Ctrl-C (or the kept payment's life ends).
import type { CliIO } from './io.js';
import { runDemo as walkThrough } from '../demo/demo.js';

const KEEP_MS = 15 * 60_000;

function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    const timer = setTimeout(done, KEEP_MS);
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

export function runDemo(io: CliIO, opts: { keep?: boolean } = {}): Promise<number> {
  return walkThrough(io, { keep: opts.keep ?? false, hold: untilInterrupted });
}
