--[[ Confirm a pending transaction by hand (the merchant saw the money elsewhere): the normal
`confirm` webhook with resolution `manual`. Exactly one of confirm/cancel still holds.
KEYS[1] tx  KEYS[2] deadlines  KEYS[3] cardLoad  KEYS[4] quarantine  KEYS[5] events  KEYS[6] amounts (of its card)
KEYS[7] owners (of its card)  KEYS[8] idempotency (its `idem`; any key when none)  KEYS[9] txState (confirmed)
KEYS[10] audit (the transaction's)
ARGV: txid, the tx's card, clock offset ms (0 but in tests), quarantine ms, keep ms, by, reason, audit entry (JSON), pay page channel
Returns {'confirmed'} | {'unknown'} | {'not_pending', state} | {'stale'} ]]
--- @include "clock"
local txid, card, now = ARGV[1], ARGV[2], clock_now(ARGV[3])
--- @include "free-amount"
--- @include "close-transaction"
--- @include "confirm-by-hand"

local k = tx_keys(1)
local why = confirm_by_hand(k, txid, card, now, tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7], '', ARGV[9])
if why == 'unknown' or why == 'stale' then return {why} end
if why then return {'not_pending', why} end
audit(k.audit, ARGV[8], ARGV[5])
return {'confirmed'}
