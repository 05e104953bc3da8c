// The catch-up cursor: per watched bot, the highest message id paycue has finished with.
// A Redis hash (redisKeys(prefix).cursor): field = bot user id, value = message id, plus the
// field `account` = the Telegram account the ids belong to (message ids in private chats are
// numbered per account, so a cursor from another account would be meaningless; it is reset).
import type { Redis } from 'ioredis';

// Sets the owning account; when it changes, forgets every cursor. Returns 1 if cursors were reset.
const BIND = `
local cur = redis.call('HGET', KEYS[1], 'account')
if cur == ARGV[1] then return 0 end
if cur then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'account', ARGV[1])
  return 1
end
redis.call('HSET', KEYS[1], 'account', ARGV[1])
return 0`;

// Moves the cursor forward only (never back), whatever the caller passes.
const ADVANCE = `
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
local new = tonumber(ARGV[2])
if new > cur then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return new
end
return cur`;

export class CursorStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  /** Ties the cursors to the logged-in account; true when cursors of another account were dropped. */
  async bindAccount(accountId: string): Promise<boolean> {
    return Number(await this.redis.eval(BIND, 1, this.key, accountId)) === 1;
  }

  /** The cursor, or null when this bot has none yet (first run). */
  async get(botId: number): Promise<number | null> {
    const v = await this.redis.hget(this.key, String(botId));
    if (v === null) return null;
    const n = Number(v);
    return Number.isSafeInteger(n) && n >= 0 ? n : null;
  }

  /** Sets the first cursor unless one appeared meanwhile; returns the cursor in force. */
  async init(botId: number, messageId: number): Promise<number> {
    await this.redis.hsetnx(this.key, String(botId), String(messageId));
    return (await this.get(botId)) ?? messageId;
  }

  /** Moves the cursor to `messageId` if that is further; returns the cursor in force. */
  async advance(botId: number, messageId: number): Promise<number> {
    return Number(await this.redis.eval(ADVANCE, 1, this.key, String(botId), String(messageId)));
  }
}
