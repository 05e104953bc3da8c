--[[ Change a card, only if it is still exactly what the caller read (no lost update).
KEYS[1] cards  KEYS[2] cardsInactive
ARGV: last4, card as read (JSON), new card (JSON), active ('1'|'0'), cards-changed channel
Returns 'updated' | 'unknown' | 'conflict' ]]
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 'unknown' end
if current ~= ARGV[2] then return 'conflict' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if ARGV[4] == '1' then redis.call('SREM', KEYS[2], ARGV[1]) else redis.call('SADD', KEYS[2], ARGV[1]) end
redis.call('PUBLISH', ARGV[5], ARGV[1])
return 'updated'
