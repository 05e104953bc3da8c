--[[ A bot's first cursor (its newest message when paycue first reads the chat), unless one
appeared meanwhile, and when it began: `since:<bot>` on the shared clock. Older messages are
never read, so a transaction created before it must not expire blind (includes/expiry-rule.lua).
Runs after the read that found the newest message, so `since` is after it. Only for the holder
of the Telegram session, on its account's cursors (as cursor-advance).
KEYS[1] cursor  KEYS[2] sessionLock
ARGV: bot id, message id, clock offset ms (0 but in tests), lock token, account id
Returns the cursor in force, or -1 when refused. ]]
--- @include "clock"
if redis.call('GET', KEYS[2]) ~= ARGV[4] or redis.call('HGET', KEYS[1], 'account') ~= ARGV[5] then return -1 end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HSET', KEYS[1], 'since:' .. ARGV[1], string.format('%d', clock_now(ARGV[3])))
  return tonumber(ARGV[2])
end
return tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
