--[[ Take the Telegram session lock over from a holder known to be dead, only if that holder
still has it (compare-and-set: two processes taking over at once cannot both win).
KEYS[1] sessionLock
ARGV: the dead holder's token, our token, ttl ms
Returns 1 when the lock is now ours. ]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
