--[[ Move a bot's cursor forward only (never back), whatever the caller passes; only for the
holder of the Telegram session, and only on its account's cursors: a frozen former holder (maybe
logged in as another account, whose message ids mean nothing here) must not move it.
KEYS[1] cursor  KEYS[2] sessionLock
ARGV: bot id, message id, lock token, account id
Returns the cursor in force, or -1 when refused. ]]
if redis.call('GET', KEYS[2]) ~= ARGV[3] or redis.call('HGET', KEYS[1], 'account') ~= ARGV[4] then return -1 end
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
local new = tonumber(ARGV[2])
if new > cur then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return new
end
return cur
