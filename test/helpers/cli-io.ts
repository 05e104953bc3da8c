// What an operator command printed: its stdout and stderr lines.
import type { CliIO } from '../../src/cli/io.js';

export function captureIO(): { out: string[]; err: string[]; io: CliIO } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}
