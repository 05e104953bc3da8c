--[[ Move retries whose time has come back onto the events stream, atomically: a retry is
always either scheduled or queued, never neither.
KEYS[1] retries  KEYS[2] events
ARGV: now ms, batch size
Returns how many were queued. ]]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  redis.call('ZREM', KEYS[1], member)
  local sep = string.find(member, '|', 1, true)
  redis.call('XADD', KEYS[2], '*', 'tx', string.sub(member, 1, sep - 1),
    'action', string.sub(member, sep + 1))
end
return #due
