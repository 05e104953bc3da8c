// One typed wrapper per card-registry script (the scripts live in src/redis/lua).
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';

export async function cardAddScript(redis: Redis, keys: RedisKeys, last4: string, json: string, active: boolean): Promise<'added' | 'exists'> {
  return (await runScript(redis, 'card-add', [keys.cards, keys.cardsInactive], [last4, json, active ? '1' : '0', keys.cardsChannel])) as
    | 'added'
    | 'exists';
}

export async function cardUpdateScript(
  redis: Redis,
  keys: RedisKeys,
  last4: string,
  expected: string,
  json: string,
  active: boolean,
): Promise<'updated' | 'unknown' | 'conflict'> {
  return (await runScript(redis, 'card-update', [keys.cards, keys.cardsInactive], [last4, expected, json, active ? '1' : '0', keys.cardsChannel])) as
    | 'updated'
    | 'unknown'
    | 'conflict';
}

export async function cardRemoveScript(
  redis: Redis,
  keys: RedisKeys,
  last4: string,
): Promise<{ result: 'removed' | 'unknown' } | { result: 'pending'; pending: number }> {
  const r = (await runScript(redis, 'card-remove', [keys.cards, keys.cardsInactive, keys.cardLoad], [last4, keys.cardsChannel])) as [string, number?];
  return r[0] === 'pending' ? { result: 'pending', pending: Number(r[1]) } : { result: r[0] as 'removed' | 'unknown' };
}
