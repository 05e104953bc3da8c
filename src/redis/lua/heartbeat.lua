--[[ Keep a consumer's in-flight entries fresh (reset their idle time) so no one takes them over,
but only those it still holds: an entry another daemon has taken over meanwhile (this one lost
Redis for longer than the reclaim delay) stays theirs, or both would deliver and this one's
late result would override theirs.
KEYS[1] events
ARGV: group, consumer, {each entry: entry id}
Returns how many entries were refreshed. ]]
local group, consumer = ARGV[1], ARGV[2]
local n = 0
for i = 3, #ARGV do
  if #redis.call('XPENDING', KEYS[1], group, ARGV[i], ARGV[i], 1, consumer) > 0 then
    redis.call('XCLAIM', KEYS[1], group, consumer, 0, ARGV[i], 'JUSTID')
    n = n + 1
  end
end
return n
