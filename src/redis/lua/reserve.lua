--[[ Reserve a unique amount for a new pending transaction.
KEYS[1] tx hash   KEYS[2] idempotency key   KEYS[3] deadlines zset   KEYS[4] card load hash
KEYS[5..] for each candidate card: amounts zset, owners hash (in the order of ARGV cards)
ARGV: txid, requested, step, direction (1|-1), limit, now, ttl, metadata, idem ('' = none),
      auto ('1' = pick the least-loaded card), card names...
Returns {'created', amount, card, expires_at} | {'existing', txid} | {'full'}
Taken amounts sit in a zset scored by amount, so ZCOUNT over a range says how many of its
slots are held: a binary search finds the first free slot in O(log LIMIT) calls however
many offsets of one price are taken. ]]
local txid, requested, step, dir = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local limit, now, ttl = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local metadata, idem, auto = ARGV[8], ARGV[9], ARGV[10]
local n = #ARGV - 10

if idem ~= '' then
  local existing = redis.call('GET', KEYS[2])
  if existing then return {'existing', existing} end
end

local function fmt(x) return string.format('%d', x) end

-- Highest offset allowed: LIMIT, and never an amount below one step when counting down.
local maxk = limit
if dir < 0 then
  local room = math.floor((requested - 1) / step)
  if room < maxk then maxk = room end
end

local function slot(k) return requested + dir * k * step end
local function held(zset, k)
  local lo, hi = requested, slot(k)
  if dir < 0 then lo, hi = slot(k), requested end
  return redis.call('ZCOUNT', zset, fmt(lo), fmt(hi))
end

-- Amounts off the so'm grid (left by AMOUNT_STEP=tiyin) make ZCOUNT overcount so'm slots:
-- the card keeps a count of them, and while there are any, so'm mode scans instead.
local function first_free(zset, card)
  if maxk < 0 then return nil end
  if step > 1 and tonumber(redis.call('HGET', KEYS[4], 'offgrid:' .. card) or '0') > 0 then
    for k = 0, maxk do
      if not redis.call('ZSCORE', zset, fmt(slot(k))) then return slot(k) end
    end
    return nil
  end
  local total = held(zset, maxk)
  if total == 0 then return requested end
  -- Usually a price's taken offsets are exactly 0 … total-1, so `total` is the first free one.
  if total < maxk + 1 and held(zset, total - 1) == total and not redis.call('ZSCORE', zset, fmt(slot(total))) then
    return slot(total)
  end
  if total < maxk + 1 then
    local lo, hi = 0, maxk
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if held(zset, mid) < mid + 1 then hi = mid else lo = mid + 1 end
    end
    if not redis.call('ZSCORE', zset, fmt(slot(lo))) then return slot(lo) end
  end
  return nil
end

-- Candidate order: as given, or by fewest pending transactions (stable for ties).
local order = {}
for i = 1, n do order[i] = i end
if auto == '1' and n > 1 then
  local load = {}
  for i = 1, n do load[i] = tonumber(redis.call('HGET', KEYS[4], ARGV[10 + i]) or '0') end
  table.sort(order, function(a, b)
    if load[a] == load[b] then return a < b end
    return load[a] < load[b]
  end)
end

for _, i in ipairs(order) do
  local card = ARGV[10 + i]
  local zset, owners = KEYS[3 + 2 * i], KEYS[4 + 2 * i]
  local amount = first_free(zset, card)
  if amount then
    local a = fmt(amount)
    redis.call('ZADD', zset, a, a)
    if amount % 100 ~= 0 then redis.call('HINCRBY', KEYS[4], 'offgrid:' .. card, 1) end
    redis.call('HSET', owners, a, txid)
    redis.call('HINCRBY', KEYS[4], card, 1)
    redis.call('HSET', KEYS[1], 'id', txid, 'amount', a, 'requested', fmt(requested), 'card', card,
      'metadata', metadata, 'state', 'pending', 'created_at', fmt(now), 'expires_at', fmt(now + ttl),
      'wh_state', 'pending', 'wh_attempts', '0', 'wh_round', '0')
    -- No TTL while pending: the hash must outlive any hold on expiry (Telegram down for
    -- days), or the amount would stay reserved forever. Closing it sets the 7-day TTL.
    redis.call('ZADD', KEYS[3], fmt(now + ttl), txid)
    if idem ~= '' then redis.call('SET', KEYS[2], txid, 'PX', fmt(ttl)) end
    return {'created', a, card, fmt(now + ttl)}
  end
end
return {'full'}
