// Loads the Lua files beside this module once and runs them by SHA (ioredis falls back to
// EVAL after a Redis restart flushed its script cache). Only commands.ts calls this: it is
// the one place that knows each script's KEYS and ARGV order.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RedisConnection } from './client.js';

export const SCRIPT_NAMES = [
  'reserve', 'cancel', 'credit', 'release', 'attempt-result', 'requeue-due', 'redeliver', 'requeue', 'leave-group',
  'heartbeat', 'cursor-bind', 'cursor-advance', 'lock-renew', 'lock-release', 'lock-takeover',
  'card-add', 'card-update', 'card-remove', 'pay-status',
  'attach', 'dismiss', 'confirm-manual', 'rows', 'alert-sent', 'expiry-due', 'watermark-advance', 'cursor-init',
  'replicas-record', 'replicas-set',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const here = dirname(fileURLToPath(import.meta.url));
const sources = new Map<ScriptName, string>();

/** `--- @include "name"` on a line of its own is replaced by `lua/includes/name.lua`
 * (Redis has no includes; shared Lua would otherwise be copied into every script). */
export function loadScript(name: string): string {
  const text = readFileSync(join(here, 'lua', `${name}.lua`), 'utf8').replace(
    /^--- @include "([\w-]+)"\r?$/gm,
    (_, inc: string) => readFileSync(join(here, 'lua', 'includes', `${inc}.lua`), 'utf8').trimEnd(),
  );
  // A missed include would stay a comment and fail only when the script runs.
  if (text.includes('@include')) throw new Error(`${name}.lua: an @include line was not expanded`);
  return text;
}

function source(name: ScriptName): string {
  let s = sources.get(name);
  if (s === undefined) {
    s = loadScript(name);
    sources.set(name, s);
  }
  return s;
}

const commandName = (name: ScriptName) => `paycue_${name.replaceAll('-', '_')}`;
const defined = new WeakSet<RedisConnection>();

function define(redis: RedisConnection): void {
  if (defined.has(redis)) return;
  for (const name of SCRIPT_NAMES) redis.defineCommand(commandName(name), { lua: source(name) });
  defined.add(redis);
}

export type ScriptReply = (string | number | null)[] | number | string | null;

/** Runs a script with its keys declared, as Redis Cluster requires. */
export async function runScript(
  redis: RedisConnection,
  name: ScriptName,
  keys: string[],
  args: (string | number)[],
  /** What the call is about (a transaction, a credit): named in the error, hence in its log line. */
  about?: { transaction_id?: string; credit_id?: string },
): Promise<ScriptReply> {
  define(redis);
  const fn = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<ScriptReply>>)[commandName(name)] as (
    ...a: (string | number)[]
  ) => Promise<ScriptReply>;
  try {
    return await fn.call(redis, keys.length, ...keys, ...args);
  } catch (err) {
    // Logs name the script (not EVALSHA and its arguments, which carry merchants' metadata).
    if (err instanceof Error) Object.assign(err, { script: name }, about);
    throw err;
  }
}
