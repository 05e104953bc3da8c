--[[ Apply one bank credit: confirm the pending transaction holding exactly this amount, once.
KEYS[1] message key  KEYS[2] tx hash (of the amount's owner; any key when none)  KEYS[3] deadlines
KEYS[4] card load  KEYS[5] quarantine  KEYS[6] events stream  KEYS[7] amounts zset  KEYS[8] owners hash
KEYS[9] unmatched list  KEYS[10] idempotency key (the tx's `idem`; any key when none)
ARGV: txid ('' when no owner was found), amount, now, quarantine ms, keep ms, message ttl s,
      credit as a non-empty JSON object (for the unmatched list), unmatched cap
Returns {result, txid} with result matched | already_processed | no_match | late | already_confirmed | stale
'stale': the amount's owner changed since the caller looked it up; look again. ]]
local txid, amount, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local quarantine, keep, msg_ttl = tonumber(ARGV[4]), ARGV[5], ARGV[6]
--- @include "free-amount"

local seen = redis.call('GET', KEYS[1])
if seen then return {'already_processed', seen} end

local result = 'no_match'
if txid ~= '' then
  if redis.call('HGET', KEYS[8], amount) ~= txid then return {'stale', ''} end
  local tx = redis.call('HMGET', KEYS[2], 'state', 'card')
  local state, card = tx[1], tx[2]
  if state == 'pending' then
    -- wh_id: the event's webhook-id, fixed at the decision (records decided before it existed keep msg_<tx>).
    redis.call('HSET', KEYS[2], 'state', 'confirmed', 'confirmed_at', fmt(now), 'wh_id', 'msg_' .. txid .. '_confirm')
    redis.call('PEXPIRE', KEYS[2], keep)
    if (redis.call('HGET', KEYS[2], 'idem') or '') ~= '' then redis.call('PEXPIRE', KEYS[10], keep) end
    redis.call('ZREM', KEYS[3], txid)
    redis.call('HINCRBY', KEYS[4], card, -1)
    -- A second payment of the same amount (a customer paying twice) must not confirm the
    -- next customer's transaction either, so confirmed amounts are held like cancelled ones.
    free_amount(KEYS[5], KEYS[7], KEYS[8], KEYS[4], card, amount, txid, now, quarantine)
    redis.call('XADD', KEYS[6], '*', 'tx', txid, 'action', 'confirm')
    result = 'matched'
  elseif state == 'cancelled' then
    result = 'late'
  elseif state == 'confirmed' then
    result = 'already_confirmed'
  end
end

if result ~= 'matched' then
  -- Spliced as text: cjson would print large amounts as 1e+14.
  local entry = '{"reason":"' .. result .. '","transaction_id":' .. (txid ~= '' and ('"' .. txid .. '"') or 'null')
    .. ',' .. string.sub(ARGV[7], 2)
  redis.call('LPUSH', KEYS[9], entry)
  redis.call('LTRIM', KEYS[9], 0, tonumber(ARGV[8]) - 1)
end
redis.call('SET', KEYS[1], result .. '|' .. txid, 'EX', msg_ttl)
return {result, txid}
