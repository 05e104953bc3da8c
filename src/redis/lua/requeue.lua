--[[ Hand an unfinished delivery back to the queue (shutdown cut it short): the new entry is
visible to the next daemon at once instead of after the reclaim delay.
KEYS[1] events stream
ARGV: entry id, group, txid, action
Returns 1 if this call still owned the entry. ]]
if redis.call('XACK', KEYS[1], ARGV[2], ARGV[1]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('XADD', KEYS[1], '*', 'tx', ARGV[3], 'action', ARGV[4])
return 1
