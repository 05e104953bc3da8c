--[[ Remove a card that holds no pending transaction. It stays in the inactive set, so a
reservation racing the daemons' view of the registry cannot land on it — unless it is also in
CARDS (configured '1'): then it goes back to being a CARDS-only card, as active as before.
KEYS[1] cards  KEYS[2] cardsInactive  KEYS[3] cardLoad
ARGV: last4, cards-changed channel, configured ('1'|'0')
Returns {'removed'} | {'unknown'} | {'pending', n} ]]
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {'unknown'} end
local pending = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
if pending > 0 then return {'pending', pending} end
redis.call('HDEL', KEYS[1], ARGV[1])
if ARGV[3] == '1' then redis.call('SREM', KEYS[2], ARGV[1]) else redis.call('SADD', KEYS[2], ARGV[1]) end
redis.call('PUBLISH', ARGV[2], ARGV[1])
return {'removed'}
