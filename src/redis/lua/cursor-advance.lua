--[[ Move a bot's cursor forward only (never back), whatever the caller passes.
KEYS[1] cursor
ARGV: bot id, message id
Returns the cursor in force. ]]
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
local new = tonumber(ARGV[2])
if new > cur then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return new
end
return cur
