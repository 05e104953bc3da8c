--[[ Tie the catch-up cursors to the logged-in Telegram account: message ids in private chats
are numbered per account, so another account's cursors are meaningless and are dropped (and with
them the watermark: `seen:*`, `since:*`, `bots`). Only the holder of the Telegram session may.
KEYS[1] cursor  KEYS[2] sessionLock
ARGV: account id, lock token
Returns 1 when cursors of another account were dropped, 0 when they were this account's, -1 when refused. ]]
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return -1 end
local cur = redis.call('HGET', KEYS[1], 'account')
if cur == ARGV[1] then return 0 end
if cur then redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[1], 'account', ARGV[1])
if cur then return 1 end
return 0
