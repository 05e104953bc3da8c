--[[ A bot's first cursor (its newest message when paycue first reads the chat), unless one
appeared meanwhile, and when it began: `since:<bot>` on the shared clock. Older messages are
never read, so a transaction created before it must not expire blind (includes/expiry-rule.lua).
Runs after the read that found the newest message, so `since` is after it.
KEYS[1] cursor
ARGV: bot id, message id, clock offset ms
Returns the cursor in force. ]]
--- @include "clock"
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HSET', KEYS[1], 'since:' .. ARGV[1], string.format('%d', clock_now(ARGV[3])))
  return tonumber(ARGV[2])
end
return tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
