// `.env` in the working directory, with real environment variables taking precedence.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { parseConfig, parseOperatorConfig, type Config, type OperatorConfig } from './env.js';

export function readEnvironment(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  let fromFile: Record<string, string> = {};
  try {
    fromFile = parse(readFileSync(join(cwd, '.env')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return { ...fromFile, ...env };
}

export function loadConfig(opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Config {
  return parseConfig(readEnvironment(opts.cwd, opts.env));
}

export function loadOperatorConfig(opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): OperatorConfig {
  return parseOperatorConfig(readEnvironment(opts.cwd, opts.env));
}
