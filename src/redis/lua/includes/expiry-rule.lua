-- Expiry by what has been seen (README "Expiry: by what has been seen"). A pending transaction
-- may be cancelled only once every bank message that could pay it has been decided. In the
-- cursor hash the holder of the Telegram session publishes `bots`, the watched bots (every one
-- can pay any transaction), and per bot `seen:<id>`: each message it dated before that (ms, the
-- shared clock) is decided; and `since:<id>`: when its cursor began (older messages are never
-- read). `mode` 'now' (sandbox: no bank chat) makes the watermark the clock itself.
-- Returns the cutoff (a deadline plus the grace at or before it may expire) and the earliest
-- creation time that is safe, or nil and why not.
local function expiry_cutoff(cursor, mode, now)
  if mode == 'now' then return now, 0 end
  local bots = redis.call('HGET', cursor, 'bots')
  if not bots or bots == '' then return nil, 'no_watcher' end
  local cutoff, since = nil, 0
  for id in string.gmatch(bots, '[^,]+') do
    local v = redis.call('HMGET', cursor, 'seen:' .. id, 'since:' .. id)
    local seen = tonumber(v[1])
    if not seen then return nil, 'not_seen' end
    if not cutoff or seen < cutoff then cutoff = seen end
    local s = tonumber(v[2]) or 0
    if s > since then since = s end
  end
  if not cutoff then return nil, 'no_watcher' end
  return cutoff, since
end
