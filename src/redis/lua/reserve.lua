--[[ Reserve unique amounts for new pending transactions. Requests that arrive while the
previous call is in flight share one call (fewer round trips under load); each is handled in
turn exactly as if it were alone.
KEYS[1] deadlines  KEYS[2] cardLoad  KEYS[3] cardsInactive (disabled or removed cards)
KEYS[4 ..] {each card: amounts, owners}, {each request: tx, idempotency}, txIndex
ARGV: step tiyin, direction (1|-1), limit, clock offset ms (0 but in tests), ttl ms, grace ms (PAYMENT_GRACE,
      kept on the record: expiry waits at least this long after the deadline), card count C,
      {each card: card name}, {each request: txid, requested tiyin, metadata (JSON; '' for none),
      idem ('' for none), card (1..C, or 0 = the least-loaded card), pay page options (JSON; '' for none)}
An inactive card takes no new reservation (checked here, so a disable is never raced).
Returns 4 items per request: 'created', amount, card, expires_at | 'existing', txid, '', '' |
'full', '', '', ''
Taken amounts sit in a zset scored by amount, so ZCOUNT over a range says how many of its
slots are held: a binary search finds the first free slot in O(log LIMIT) calls however
many offsets of one price are taken. ]]
--- @include "clock"
local step, dir, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
-- Deadlines on the shared clock, as the watermark they are compared with (includes/clock.lua).
local now, ttl, grace, ncards = clock_now(ARGV[4]), tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local first_arg, first_key = 8 + ncards, 4 + 2 * ncards
local deadlines, load = KEYS[1], KEYS[2]
local index_all = KEYS[#KEYS]

local function fmt(x) return string.format('%d', x) end

-- Amounts off the so'm grid (left by AMOUNT_STEP=tiyin) make ZCOUNT overcount so'm slots:
-- the card keeps a count of them, and while there are any, so'm mode walks the taken ones.
local function first_free(zset, card, requested)
  -- Highest offset allowed: LIMIT, and never an amount below one step when counting down.
  local maxk = limit
  if dir < 0 then maxk = math.min(maxk, math.floor((requested - 1) / step)) end
  if maxk < 0 then return nil end
  local function slot(k) return requested + dir * k * step end
  local function held(k)
    local lo, hi = requested, slot(k)
    if dir < 0 then lo, hi = slot(k), requested end
    return redis.call('ZCOUNT', zset, fmt(lo), fmt(hi))
  end
  local function free(k) return not redis.call('ZSCORE', zset, fmt(slot(k))) end
  if step > 1 and tonumber(redis.call('HGET', load, 'offgrid:' .. card) or '0') > 0 then
    -- Walk the taken amounts in order (one call, cost in taken amounts, not in LIMIT),
    -- skipping off-grid ones, until the next expected slot is missing.
    local taken
    if dir > 0 then
      taken = redis.call('ZRANGEBYSCORE', zset, fmt(requested), fmt(slot(maxk)))
    else
      taken = redis.call('ZREVRANGEBYSCORE', zset, fmt(requested), fmt(slot(maxk)))
    end
    local k = 0
    for _, m in ipairs(taken) do
      local v = tonumber(m)
      if (v - requested) % step == 0 then
        if v == slot(k) then k = k + 1 else break end
      end
    end
    if k <= maxk then return slot(k) end
    return nil
  end
  local total = held(maxk)
  if total == 0 then return requested end
  if total >= maxk + 1 then return nil end
  -- Usually a price's taken offsets are exactly 0 … total-1, so `total` is the first free one.
  if held(total - 1) == total and free(total) then return slot(total) end
  local lo, hi = 0, maxk
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if held(mid) < mid + 1 then hi = mid else lo = mid + 1 end
  end
  if free(lo) then return slot(lo) end
  return nil
end

-- Candidate cards: the one asked for, or all by fewest pending transactions (stable for ties).
local function active(i) return redis.call('SISMEMBER', KEYS[3], ARGV[7 + i]) == 0 end
local function candidates(fixed)
  if fixed > 0 then
    if active(fixed) then return {fixed} end
    return {}
  end
  local order, pending = {}, {}
  for i = 1, ncards do
    if active(i) then
      order[#order + 1] = i
      pending[i] = tonumber(redis.call('HGET', load, ARGV[7 + i]) or '0')
    end
  end
  if #order > 1 then
    table.sort(order, function(a, b)
      if pending[a] == pending[b] then return a < b end
      return pending[a] < pending[b]
    end)
  end
  return order
end

local function reserve(txkey, idemkey, txid, requested, metadata, idem, fixed, page)
  if idem ~= '' then
    local existing = redis.call('GET', idemkey)
    if existing then return {'existing', existing, '', ''} end
  end
  for _, i in ipairs(candidates(fixed)) do
    local card = ARGV[7 + i]
    local zset, owners = KEYS[2 + 2 * i], KEYS[3 + 2 * i]
    local amount = first_free(zset, card, requested)
    if amount then
      local a = fmt(amount)
      redis.call('ZADD', zset, a, a)
      if amount % 100 ~= 0 then redis.call('HINCRBY', load, 'offgrid:' .. card, 1) end
      redis.call('HSET', owners, a, txid)
      redis.call('HINCRBY', load, card, 1)
      -- No TTL while pending: the hash must outlive any hold on expiry (Telegram down for
      -- days), or the amount would stay reserved forever. Closing it sets the 7-day TTL.
      redis.call('HSET', txkey, 'id', txid, 'amount', a, 'requested', fmt(requested), 'card', card,
        'metadata', metadata, 'state', 'pending', 'created_at', fmt(now), 'expires_at', fmt(now + ttl),
        'wh_state', 'pending', 'wh_attempts', '0', 'wh_round', '0', 'idem', idem, 'grace', grace)
      if page ~= '' then redis.call('HSET', txkey, 'page', page) end
      redis.call('ZADD', deadlines, fmt(now + ttl), txid)
      redis.call('ZADD', index_all, fmt(now), txid)
      -- Like the record, the key has no TTL while the transaction is pending (a retry after the
      -- TTL, expiry held, must not create a second transaction); closing it sets the record's TTL.
      if idem ~= '' then redis.call('SET', idemkey, txid) end
      return {'created', a, card, fmt(now + ttl)}
    end
  end
  return {'full', '', '', ''}
end

local out = {}
local r = 0
while first_arg + 6 * r <= #ARGV do
  local b, k = first_arg + 6 * r, first_key + 2 * r
  local res = reserve(KEYS[k], KEYS[k + 1], ARGV[b], tonumber(ARGV[b + 1]), ARGV[b + 2], ARGV[b + 3], tonumber(ARGV[b + 4]), ARGV[b + 5])
  for _, v in ipairs(res) do out[#out + 1] = v end
  r = r + 1
end
return out
