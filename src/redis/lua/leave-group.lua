--[[ Remove a webhook consumer from the group, but only when it holds nothing: its pending
entries must stay claimable. Run by a daemon for itself at shutdown, and for long-idle
consumers of daemons that are gone.
KEYS[1] events
ARGV: group, consumer
Returns 1 when removed. ]]
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
