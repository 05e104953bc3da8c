--[[ Everything the pay page shows, in one round trip: the transaction and its card.
KEYS[1] tx  KEYS[2] cards
ARGV: none
Returns {} when the transaction is unknown, else {tx HGETALL as a flat list, card JSON or ''} ]]
local tx = redis.call('HGETALL', KEYS[1])
if #tx == 0 then return {} end
local card = ''
for i = 1, #tx, 2 do
  if tx[i] == 'card' then card = redis.call('HGET', KEYS[2], tx[i + 1]) or '' end
end
return {tx, card}
