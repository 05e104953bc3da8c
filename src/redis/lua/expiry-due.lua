--[[ What the expiry sweeper may cancel now, by the rule in includes/expiry-rule.lua, in one read.
KEYS[1] deadlines  KEYS[2] cursor
ARGV: mode ('seen'|'now'), grace ms, clock offset ms, batch size, how many due ones to skip
Returns {now, cutoff ('' when nothing may expire), why not ('' when it may), earliest safe
creation time, the oldest deadline past its grace that the watermark has not reached ('' for
none), then up to `batch` due transaction ids}. ]]
--- @include "clock"
--- @include "expiry-rule"
local now, grace = clock_now(ARGV[3]), tonumber(ARGV[2])
local function fmt(x) return string.format('%d', x) end
local cutoff, since = expiry_cutoff(KEYS[2], ARGV[1], now)
local out = {fmt(now), '', '', '0', ''}
local from = '-inf'
if cutoff then
  out[2], out[4] = fmt(cutoff), fmt(since)
  from = '(' .. fmt(cutoff - grace)
else
  out[3] = since
end
-- Due by the clock but not yet by the watermark: the holder then reads the chat at once (a
-- read that starts now covers what was dated more than a second ago).
if cutoff == nil or cutoff < now then
  local waiting = redis.call('ZRANGEBYSCORE', KEYS[1], from, fmt(now - grace - 1000), 'WITHSCORES', 'LIMIT', 0, 1)
  if waiting[2] then out[5] = waiting[2] end
end
if cutoff then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', fmt(cutoff - grace), 'LIMIT', tonumber(ARGV[5]), tonumber(ARGV[4]))
  for _, id in ipairs(due) do out[#out + 1] = id end
end
return out
