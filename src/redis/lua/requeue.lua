--[[ Hand an unfinished delivery back to the queue (shutdown cut it short, or it was read while
stopping): the new entry is visible to the next daemon at once instead of after the reclaim delay.
Only the consumer that holds the entry may do this: XACK alone would also acknowledge an entry
another daemon has taken over meanwhile, and that daemon's delivery would then count for nothing.
KEYS[1] events
ARGV: entry id, group, txid, action, consumer
Returns 1 if this consumer still held the entry and it was queued again, else 0. ]]
if #redis.call('XPENDING', KEYS[1], ARGV[2], ARGV[1], ARGV[1], 1, ARGV[5]) == 0 then return 0 end
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('XADD', KEYS[1], '*', 'tx', ARGV[3], 'action', ARGV[4])
return 1
