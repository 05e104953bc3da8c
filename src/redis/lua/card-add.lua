--[[ Register a card unless its last-4 is taken.
KEYS[1] cards  KEYS[2] cardsInactive
ARGV: last4, card (JSON), active ('1'|'0'), cards-changed channel
Returns 'added' | 'exists' ]]
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 'exists' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '1' then redis.call('SREM', KEYS[2], ARGV[1]) else redis.call('SADD', KEYS[2], ARGV[1]) end
redis.call('PUBLISH', ARGV[4], ARGV[1])
return 'added'
