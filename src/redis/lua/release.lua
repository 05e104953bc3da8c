--[[ End an amount's quarantine: it may be reserved again.
KEYS[1] quarantine zset  KEYS[2] amounts zset  KEYS[3] owners hash  KEYS[4] card load hash
ARGV: quarantine member, amount, txid, card
Returns 1 when this call released it (a racing sweeper gets 0). ]]
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[3], ARGV[2]) == ARGV[3] then
  redis.call('HDEL', KEYS[3], ARGV[2])
  redis.call('ZREM', KEYS[2], ARGV[2])
  if tonumber(ARGV[2]) % 100 ~= 0 then redis.call('HINCRBY', KEYS[4], 'offgrid:' .. ARGV[4], -1) end
end
return 1
