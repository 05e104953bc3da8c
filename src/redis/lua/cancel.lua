--[[ pending -> cancelled (expiry or the merchant's cancel), and its `cancel` event, at once.
KEYS[1] tx hash  KEYS[2] deadlines  KEYS[3] card load  KEYS[4] quarantine  KEYS[5] events stream
KEYS[6] amounts zset  KEYS[7] owners hash  KEYS[8] idempotency key (the tx's `idem`; any key when none)
KEYS[9] txs:cancelled
ARGV: txid, now, reason ('expired'|'cancelled'), quarantine ms, keep ms, only_if_due ('1'|'0'),
      pay page channel (optional: PUBLISH `txid|reason|now` there for waiting pay pages)
Returns {'cancelled'} | {'not_pending', state} | {'not_due'} | {'unknown'} ]]
local txid, now, reason = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local quarantine, keep, only_if_due = tonumber(ARGV[4]), ARGV[5], ARGV[6]
--- @include "free-amount"

local tx = redis.call('HMGET', KEYS[1], 'state', 'expires_at', 'card', 'amount')
local state, expires_at, card, amount = tx[1], tonumber(tx[2]), tx[3], tx[4]
if not state then
  redis.call('ZREM', KEYS[2], txid)
  return {'unknown'}
end
if state ~= 'pending' then
  redis.call('ZREM', KEYS[2], txid)
  return {'not_pending', state}
end
if only_if_due == '1' and expires_at > now then return {'not_due'} end

redis.call('HSET', KEYS[1], 'state', 'cancelled', 'cancelled_at', fmt(now), 'cancel_reason', reason, 'wh_id', 'msg_' .. txid .. '_cancel')
redis.call('PEXPIRE', KEYS[1], keep)
if (redis.call('HGET', KEYS[1], 'idem') or '') ~= '' then redis.call('PEXPIRE', KEYS[8], keep) end
redis.call('ZREM', KEYS[2], txid)
redis.call('HINCRBY', KEYS[3], card, -1)
free_amount(KEYS[4], KEYS[6], KEYS[7], KEYS[3], card, amount, txid, now, quarantine)
redis.call('XADD', KEYS[5], '*', 'tx', txid, 'action', 'cancel')
redis.call('ZADD', KEYS[9], redis.call('HGET', KEYS[1], 'created_at'), txid)
if ARGV[7] and ARGV[7] ~= '' then redis.call('PUBLISH', ARGV[7], txid .. '|' .. reason .. '|' .. fmt(now)) end
return {'cancelled'}
