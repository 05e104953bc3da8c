--[[ Tie the catch-up cursors to the logged-in Telegram account: message ids in private chats
are numbered per account, so another account's cursors are meaningless and are dropped.
KEYS[1] cursor
ARGV: account id
Returns 1 when cursors of another account were dropped, else 0. ]]
local cur = redis.call('HGET', KEYS[1], 'account')
if cur == ARGV[1] then return 0 end
if cur then redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[1], 'account', ARGV[1])
if cur then return 1 end
return 0
