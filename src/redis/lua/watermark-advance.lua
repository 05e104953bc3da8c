--[[ Moves one bot's observation watermark forward (never back): every message that bot dated
before `seen_through` has been decided. Only the holder of the Telegram session may (a frozen
former holder's late write is refused), and only for the account the cursors belong to. It also
publishes the bots that can pay a transaction (expiry waits for each of them).
KEYS[1] cursor  KEYS[2] sessionLock
ARGV: lock token, account id, bot id, seen through ms (the shared clock), watched bot ids (comma-separated)
Returns the watermark in force, or -1 when refused. ]]
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
if redis.call('HGET', KEYS[1], 'account') ~= ARGV[2] then return -1 end
if not redis.call('HGET', KEYS[1], ARGV[3]) then return -1 end
redis.call('HSET', KEYS[1], 'bots', ARGV[5])
local field = 'seen:' .. ARGV[3]
local cur = tonumber(redis.call('HGET', KEYS[1], field) or '-1')
local new = tonumber(ARGV[4])
if new > cur then
  redis.call('HSET', KEYS[1], field, ARGV[4])
  return new
end
return cur
