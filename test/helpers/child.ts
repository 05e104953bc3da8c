// Runs the built CLI (`bin/paycue`) as a child process, in an empty working directory so no
// stray .env is read, for tests about signals, crashes, exit codes and start-up refusal.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/paycue');

export interface Child {
  proc: ChildProcess;
  /** stdout and stderr as they interleaved. */
  output(): string;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** Like exited, once stdout and stderr are read to their end too. */
  closed: Promise<number | null>;
}

export function runChild(args: string[], env: Record<string, string>, opts: { stdin?: string; cwd?: string; keepStdinOpen?: boolean } = {}): Child {
  const cwd = opts.cwd ?? mkdtempSync(join(tmpdir(), 'paycue-cwd-'));
  // TMPDIR passes on so a child's temporary files go under the test run's own directory too.
  const clean: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}) };
  const proc = spawn(process.execPath, ['--', BIN, ...args], { cwd, env: { ...clean, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (c: Buffer) => ((out += c.toString()), (stdout += c.toString())));
  proc.stderr?.on('data', (c: Buffer) => ((out += c.toString()), (stderr += c.toString())));
  if (opts.stdin !== undefined) proc.stdin?.end(opts.stdin);
  else if (!opts.keepStdinOpen) proc.stdin?.end(); // kept open, the test answers prompts as they come
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const closed = new Promise<number | null>((r) => proc.once('close', (code) => r(code)));
  return { proc, output: () => out, stdout: () => stdout, stderr: () => stderr, exited, closed };
}
