--[[ Extend the Telegram session lock while it is ours.
KEYS[1] sessionLock
ARGV: token, ttl ms
Returns 1: still ours, extended; 2: it had expired (Redis was unreachable a while) and is ours
again; 0: someone else holds it. ]]
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
elseif v == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
