-- The one clock every daemon shares: Redis's own TIME (unix ms), never a daemon's Date.now(),
-- so deadlines and the observation watermark compare like with like. `offset` is 0 in
-- production; tests move time with it.
local function clock_now(offset)
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + (tonumber(offset) or 0)
end
