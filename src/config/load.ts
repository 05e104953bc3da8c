// `.env` in the working directory (or the file given with --env-file), with real environment
// variables taking precedence.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'dotenv';
import { ConfigError, parseConfig, parseOperatorConfig, type Config, type OperatorConfig } from './env.js';

export interface EnvSource {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** --env-file: must exist. Without it, `.env` in `cwd` is read if there is one. */
  file?: string;
}

function readEnvFile(path: string, required: boolean): Record<string, string> {
  try {
    return parse(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return {};
    const why =
      code === 'ENOENT' ? 'no such file'
      : code === 'EISDIR' ? 'is a directory, not a file'
      : code === 'EACCES' ? `cannot be read by this user: fix its owner (chown) or mode (chmod 600)`
      : (e as Error).message;
    throw new ConfigError([{ variable: required ? `--env-file ${path}` : path, message: why }]);
  }
}

export function readEnvironment(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env, file?: string): Record<string, string | undefined> {
  const fromFile = file !== undefined ? readEnvFile(resolve(cwd, file), true) : readEnvFile(join(cwd, '.env'), false);
  return { ...fromFile, ...env };
}

export function loadConfig(opts: EnvSource = {}): Config {
  return parseConfig(readEnvironment(opts.cwd, opts.env, opts.file));
}

export function loadOperatorConfig(opts: EnvSource = {}): OperatorConfig {
  return parseOperatorConfig(readEnvironment(opts.cwd, opts.env, opts.file));
}
