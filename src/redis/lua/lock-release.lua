--[[ Delete the Telegram session lock only if it is still ours (compare-and-delete).
KEYS[1] sessionLock
ARGV: token
Returns 1 when deleted. ]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
