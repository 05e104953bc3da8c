--[[ Queue a fresh round of delivery for a decided event (same webhook-id): a transaction's
confirm or cancel, or a credit's late_payment event (tracked on the credit record).
KEYS[1] tx|credit (a credit: its late_payment event)  KEYS[2] events  KEYS[3] failed  KEYS[4] retries
KEYS[5] audit (of the same record)
KEYS[6 ..] {for a credit: tx (its transaction: the event is built from it; gone after 7 days)}
ARGV: id, force ('1'|'0') ('1': also when a delivery seems under way, e.g. its queue entry was lost),
      record ('tx'|'credit') (what the first key is), audit entry (JSON), audit keep ms
Returns {'queued', action} | {'not_decided'} | {'unknown'} | {'in_progress'} ]]
local action
if ARGV[3] == 'credit' then
  -- Only a credit that had a late_payment event queued has one to send again.
  if redis.call('HEXISTS', KEYS[1], 'wh_state') == 0 or redis.call('EXISTS', KEYS[6]) == 0 then return {'unknown'} end
  action = 'late_payment'
else
  local state = redis.call('HGET', KEYS[1], 'state')
  if not state then return {'unknown'} end
  if state == 'confirmed' then action = 'confirm' elseif state == 'cancelled' then action = 'cancel' else return {'not_decided'} end
end
if ARGV[2] ~= '1' and redis.call('HGET', KEYS[1], 'wh_state') == 'pending' then return {'in_progress'} end
redis.call('ZREM', KEYS[4], ARGV[1] .. '|' .. action)
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[1], 'wh_state', 'pending', 'wh_round', redis.call('HGET', KEYS[1], 'wh_attempts') or '0')
redis.call('XADD', KEYS[2], '*', 'tx', ARGV[1], 'action', action)
redis.call('RPUSH', KEYS[5], ARGV[4])
redis.call('PEXPIRE', KEYS[5], ARGV[5])
return {'queued', action}
