--[[ End an amount's quarantine: it may be reserved again.
KEYS[1] quarantine  KEYS[2] amounts  KEYS[3] owners  KEYS[4] cardLoad
ARGV: quarantine member, amount tiyin, txid, card
Returns 1 when this call released it (a racing sweeper gets 0). ]]
--- @include "free-amount"
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
release_amount(KEYS[2], KEYS[3], KEYS[4], ARGV[4], ARGV[2], ARGV[3])
return 1
