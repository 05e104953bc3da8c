--[[ Settle an open credit by attaching it to a pending transaction, which it confirms (with the
normal `confirm` webhook, resolution `manual`, with the credit's id and amount as `credit_id` and
`amount_received`). One step: a credit is attached once, a transaction confirmed once; of racing
resolutions exactly one wins.
KEYS[1] credit  KEYS[2] creditsOpen  KEYS[3] creditsResolved  KEYS[4] audit (the credit's)  KEYS[5] alertOutbox
KEYS[6] tx  KEYS[7] deadlines  KEYS[8] cardLoad  KEYS[9] quarantine  KEYS[10] events  KEYS[11] amounts (of its card)
KEYS[12] owners (of its card)  KEYS[13] idempotency (its `idem`; any key when none)  KEYS[14] txState (confirmed)
KEYS[15] audit (the transaction's)
ARGV: credit id, txid, the tx's card, clock offset ms (0 but in tests), quarantine ms, tx keep ms, credit keep ms, by, reason,
      audit entry (JSON), pay page channel, edit alert ('1'|'0') (by the alert bot; not when settled by a
      button, which edits its own alert)
Returns {'attached', credit amount (tiyin)} | {'credit_unknown'} | {'credit_resolved', kind} | {'tx_unknown'} |
{'tx_not_pending', state} | {'stale'} ]]
--- @include "clock"
local cid, txid, card, now = ARGV[1], ARGV[2], ARGV[3], clock_now(ARGV[4])
--- @include "free-amount"
--- @include "close-transaction"
--- @include "confirm-by-hand"

local c = redis.call('HMGET', KEYS[1], 'state', 'res_kind', 'amount')
if not c[1] then return {'credit_unknown'} end
if c[1] ~= 'open' then return {'credit_resolved', c[2] or ''} end
local k = tx_keys(6)
local why = confirm_by_hand(k, txid, card, now, tonumber(ARGV[5]), ARGV[6], ARGV[8], ARGV[9], cid, ARGV[11], c[3])
if why == 'unknown' then return {'tx_unknown'} end
if why == 'stale' then return {'stale'} end
if why then return {'tx_not_pending', why} end

redis.call('HSET', KEYS[1], 'state', 'resolved', 'res_kind', 'attached', 'res_tx', txid, 'res_by', ARGV[8],
  'res_at', fmt(now), 'res_reason', ARGV[9])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('ZADD', KEYS[3], redis.call('ZSCORE', KEYS[2], cid) or fmt(now), cid)
redis.call('ZREM', KEYS[2], cid)
audit(KEYS[4], ARGV[10], ARGV[7])
audit(k.audit, ARGV[10], ARGV[6])
if ARGV[12] == '1' and redis.call('HEXISTS', KEYS[1], 'alert_message') == 1 then
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', '10000', '*', 'kind', 'settled', 'id', cid)
end
return {'attached', c[3]}
