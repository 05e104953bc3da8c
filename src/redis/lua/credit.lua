--[[ Apply one bank credit: confirm the pending transaction holding exactly this amount, once.
KEYS[1] message (the message's dedupe key)  KEYS[2] tx (of the amount's owner; any key when none)
KEYS[3] deadlines  KEYS[4] cardLoad  KEYS[5] quarantine  KEYS[6] events  KEYS[7] amounts (of the owner's card)
KEYS[8] owners (of the owner's card)  KEYS[9] unmatched  KEYS[10] idempotency (the owner's `idem`; any key when none)
KEYS[11] credit (the record)  KEYS[12] creditsAll  KEYS[13] creditsOpen  KEYS[14] creditsResolved
KEYS[15] creditsText  KEYS[16] alertOutbox  KEYS[17] txState (confirmed)
ARGV: txid ('' when no owner was found), amount tiyin, clock offset ms (0 but in tests), quarantine ms, keep ms, message ttl seconds,
      credit (JSON: a non-empty object, for the unmatched list), unmatched cap,
      credit id, bot, last4 ('' for none), bank time ms, raw text, review ('1'|'0') ('1': an ambiguous
      message, never applied to a transaction), credit keep ms, text keep ms, late_payment event ('1'|'0'),
      message key, pay page channel (optional: PUBLISH `txid|confirmed|now` / `txid|late|now` there)
Every message carrying an amount becomes a credit record in this same step (message dedupe +
record + decision), so no decided credit is ever without its record: a match is resolved `auto`,
anything else is open and queued in the alert outbox.
Returns {result, txid, credit id} with result matched | already_processed | no_match | late |
already_confirmed | ambiguous | stale ('stale': the amount's owner changed since the caller looked
it up; look again). ]]
--- @include "clock"
local txid, amount, now = ARGV[1], ARGV[2], clock_now(ARGV[3])
local quarantine, keep, msg_ttl = tonumber(ARGV[4]), ARGV[5], ARGV[6]
--- @include "free-amount"
--- @include "close-transaction"

local seen = redis.call('GET', KEYS[1])
if seen then return {'already_processed', seen} end

local result = 'no_match'
local cid, review = ARGV[9], ARGV[14] == '1'
if review then
  result = 'ambiguous'
elseif txid ~= '' then
  if redis.call('HGET', KEYS[8], amount) ~= txid then return {'stale', ''} end
  local tx = redis.call('HMGET', KEYS[2], 'state', 'card')
  local state, card = tx[1], tx[2]
  if state == 'pending' then
    local k = {
      tx = KEYS[2], deadlines = KEYS[3], load = KEYS[4], quarantine = KEYS[5], events = KEYS[6],
      amounts = KEYS[7], owners = KEYS[8], idem = KEYS[10], index = KEYS[17],
    }
    close_transaction(k, txid, card, amount, now, quarantine, keep, 'confirm', {'credit_id', cid}, ARGV[19], 'confirmed')
    result = 'matched'
  elseif state == 'cancelled' then
    -- The record remembers it, so the pay page can tell the customer to contact the seller.
    if redis.call('HEXISTS', KEYS[2], 'late_credit_at') == 0 then
      redis.call('HSET', KEYS[2], 'late_credit_at', fmt(now))
    end
    result = 'late'
  elseif state == 'confirmed' then
    result = 'already_confirmed'
  end
end

if result ~= 'matched' then
  -- Spliced as text: cjson would print large amounts as 1e+14.
  local entry = '{"reason":"' .. result .. '","transaction_id":' .. (txid ~= '' and ('"' .. txid .. '"') or 'null')
    .. ',"credit_id":"' .. cid .. '",' .. string.sub(ARGV[7], 2)
  redis.call('LPUSH', KEYS[9], entry)
  redis.call('LTRIM', KEYS[9], 0, tonumber(ARGV[8]) - 1)
end

local at = ARGV[12]
redis.call('HSET', KEYS[11], 'id', cid, 'bot', ARGV[10], 'message_key', ARGV[18], 'amount', amount,
  'last4', ARGV[11], 'received_at', at, 'recorded_at', fmt(now), 'verdict', result, 'tx', txid, 'text', ARGV[13])
redis.call('ZADD', KEYS[12], at, cid)
redis.call('ZADD', KEYS[15], fmt(now + tonumber(ARGV[16])), cid)
if result == 'matched' then
  redis.call('HSET', KEYS[11], 'state', 'resolved', 'res_kind', 'auto', 'res_tx', txid, 'res_by', 'paycue', 'res_at', fmt(now))
  redis.call('ZADD', KEYS[14], at, cid)
  redis.call('PEXPIRE', KEYS[11], ARGV[15])
else
  -- Open until a person settles it: no TTL, so it cannot fall out of view.
  redis.call('HSET', KEYS[11], 'state', 'open')
  redis.call('ZADD', KEYS[13], at, cid)
  -- Capped, so it cannot grow without end when no alert bot drains it (ALERT_BOT_TOKEN unset).
  redis.call('XADD', KEYS[16], 'MAXLEN', '~', '10000', '*', 'kind', 'credit', 'id', cid)
  if result == 'late' and ARGV[17] == '1' then
    -- A third event, delivered like confirm/cancel but tracked on the credit record.
    redis.call('HSET', KEYS[11], 'wh_state', 'pending', 'wh_attempts', '0', 'wh_round', '0')
    redis.call('XADD', KEYS[6], '*', 'tx', cid, 'action', 'late_payment')
  end
end
redis.call('SET', KEYS[1], result .. '|' .. txid .. '|' .. cid, 'EX', msg_ttl)
if result == 'late' and ARGV[19] and ARGV[19] ~= '' then
  redis.call('PUBLISH', ARGV[19], txid .. '|late|' .. fmt(now))
end
return {result, txid, cid}
