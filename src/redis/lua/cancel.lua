--[[ pending -> cancelled (expiry or the merchant's cancel), and its `cancel` event, at once.
KEYS[1] tx  KEYS[2] deadlines  KEYS[3] cardLoad  KEYS[4] quarantine  KEYS[5] events
KEYS[6] amounts (of its card)  KEYS[7] owners (of its card)  KEYS[8] idempotency (its `idem`; any key when none)
KEYS[9] txState (cancelled)  KEYS[10] audit (the transaction's)  KEYS[11] cursor (the watermark)
KEYS[12] alertOutbox
ARGV: txid, clock offset ms, reason ('expired'|'cancelled'), quarantine ms, keep ms, only if due ('1'|'0'),
      pay page channel (optional: PUBLISH `txid|reason|now` there for waiting pay pages),
      audit entry (JSON; '' for an expiry, which nobody did), expiry mode ('seen'|'now'), grace ms
An expiry (only_if_due) happens only when the deadline plus the grace is behind the watermark
of every bot that could pay it (includes/expiry-rule.lua). One created before a bot's cursor
began is held for a person instead, and alerted once.
Returns {'cancelled'} | {'not_pending', state} | {'not_due'} | {'held'} | {'unknown'} ]]
--- @include "clock"
--- @include "expiry-rule"
local txid, now, reason = ARGV[1], clock_now(ARGV[2]), ARGV[3]
local quarantine, keep, only_if_due = tonumber(ARGV[4]), ARGV[5], ARGV[6]
--- @include "free-amount"
--- @include "close-transaction"

local tx = redis.call('HMGET', KEYS[1], 'state', 'expires_at', 'card', 'amount', 'created_at', 'held', 'grace')
local state, expires_at, card, amount, created_at = tx[1], tonumber(tx[2]), tx[3], tx[4], tonumber(tx[5])
if not state then
  redis.call('ZREM', KEYS[2], txid)
  return {'unknown'}
end
if state ~= 'pending' then
  redis.call('ZREM', KEYS[2], txid)
  return {'not_pending', state}
end
if only_if_due == '1' then
  local cutoff, since = expiry_cutoff(KEYS[11], ARGV[9], now)
  -- The grace the transaction was created with, if longer than this daemon's (one set apart).
  local grace = math.max(tonumber(ARGV[10]), tonumber(tx[7]) or 0)
  if not cutoff or expires_at + grace > cutoff then return {'not_due'} end
  if (created_at or 0) < since then
    if tx[6] ~= 'unseen' then
      redis.call('HSET', KEYS[1], 'held', 'unseen')
      redis.call('XADD', KEYS[12], 'MAXLEN', '~', '10000', '*', 'kind', 'held', 'id', txid)
    end
    return {'held'}
  end
end

local k = {
  tx = KEYS[1], deadlines = KEYS[2], load = KEYS[3], quarantine = KEYS[4], events = KEYS[5],
  amounts = KEYS[6], owners = KEYS[7], idem = KEYS[8], index = KEYS[9],
}
close_transaction(k, txid, card, amount, now, quarantine, keep, 'cancel', {'cancel_reason', reason}, ARGV[7], reason)
if ARGV[8] and ARGV[8] ~= '' then
  redis.call('RPUSH', KEYS[10], ARGV[8])
  redis.call('PEXPIRE', KEYS[10], keep)
end
return {'cancelled'}
