// Loads the Lua files beside this module once and runs them by SHA (ioredis falls back to
// EVAL after a Redis restart flushed its script cache).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

export const SCRIPT_NAMES = [
  'reserve', 'cancel', 'credit', 'release', 'attempt-result', 'requeue-due', 'redeliver', 'requeue', 'leave-group',
  'card-add', 'card-update', 'card-remove', 'pay-status',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const here = dirname(fileURLToPath(import.meta.url));
const sources = new Map<ScriptName, string>();

function source(name: ScriptName): string {
  let s = sources.get(name);
  if (s === undefined) {
    s = readFileSync(join(here, 'lua', `${name}.lua`), 'utf8');
    sources.set(name, s);
  }
  return s;
}

const defined = new WeakSet<Redis>();

function define(redis: Redis): void {
  if (defined.has(redis)) return;
  for (const name of SCRIPT_NAMES) redis.defineCommand(`paycue_${name.replace('-', '_')}`, { lua: source(name) });
  defined.add(redis);
}

type ScriptReply = (string | number | null)[] | number | string | null;

/** Runs a script with its keys declared, as Redis Cluster requires. */
export async function runScript(
  redis: Redis,
  name: ScriptName,
  keys: string[],
  args: (string | number)[],
): Promise<ScriptReply> {
  define(redis);
  const fn = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<ScriptReply>>)[
    `paycue_${name.replace('-', '_')}`
  ] as (...a: (string | number)[]) => Promise<ScriptReply>;
  return fn.call(redis, keys.length, ...keys, ...args);
}
