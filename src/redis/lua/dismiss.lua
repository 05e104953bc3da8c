--[[ Settle an open credit without a transaction (refunded, not a payment, duplicate, …).
KEYS[1] credit  KEYS[2] creditsOpen  KEYS[3] creditsResolved  KEYS[4] audit (the credit's)  KEYS[5] alertOutbox
ARGV: credit id, now ms, credit keep ms, by, reason, audit entry (JSON), edit alert ('1'|'0') (by the alert
      bot; not when settled by a button, which edits its own alert)
Returns {'dismissed'} | {'unknown'} | {'resolved', kind} ]]
local cid, now = ARGV[1], ARGV[2]
local c = redis.call('HMGET', KEYS[1], 'state', 'res_kind')
if not c[1] then return {'unknown'} end
if c[1] ~= 'open' then return {'resolved', c[2] or ''} end
redis.call('HSET', KEYS[1], 'state', 'resolved', 'res_kind', 'dismissed', 'res_by', ARGV[4], 'res_at', now, 'res_reason', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[3], redis.call('ZSCORE', KEYS[2], cid) or now, cid)
redis.call('ZREM', KEYS[2], cid)
redis.call('RPUSH', KEYS[4], ARGV[6])
redis.call('PEXPIRE', KEYS[4], ARGV[3])
if ARGV[7] == '1' and redis.call('HEXISTS', KEYS[1], 'alert_message') == 1 then
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', '10000', '*', 'kind', 'settled', 'id', cid)
end
return {'dismissed'}
