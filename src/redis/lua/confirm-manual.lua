--[[ Confirm a pending transaction by hand (the merchant saw the money elsewhere): the normal
`confirm` webhook with resolution `manual`. Exactly one of confirm/cancel still holds.
KEYS[1 ..] the transaction's: tx hash, deadlines, card load, quarantine, events stream, amounts zset,
owners hash, idempotency key, txs:confirmed, tx audit list
ARGV: txid, the tx's card, clock offset ms, quarantine ms, keep ms, by, reason, audit entry (JSON), pay page channel
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
