-- Shared by cancel, credit and release (included at load time, see scripts.ts).
local function fmt(x) return string.format('%d', x) end

-- Makes a closed transaction's amount reservable again: only while that transaction still
-- owns it. Amounts off the so'm grid keep a per-card count that reserve.lua relies on.
local function release_amount(amounts, owners, load, card, amount, txid)
  if redis.call('HGET', owners, amount) ~= txid then return end
  redis.call('HDEL', owners, amount)
  redis.call('ZREM', amounts, amount)
  if tonumber(amount) % 100 ~= 0 then redis.call('HINCRBY', load, 'offgrid:' .. card, -1) end
end

-- A closed transaction's amount stays held for `quarantine` ms, so a late or second payment
-- cannot confirm the next customer's transaction; with no quarantine it is released at once.
local function free_amount(quarantined, amounts, owners, load, card, amount, txid, now, quarantine)
  if quarantine > 0 then
    redis.call('ZADD', quarantined, fmt(now + quarantine), card .. '|' .. amount .. '|' .. txid)
  else
    release_amount(amounts, owners, load, card, amount, txid)
  end
end
