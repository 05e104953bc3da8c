--[[ Record one webhook attempt and decide what follows: delivered, a retry at `due`, or failed.
The stream entry is acknowledged in the same step, so a crash before this script leaves the
entry pending (it is reclaimed and retried) and a crash after it loses nothing.
KEYS[1] tx|credit (a credit's late_payment event is tracked on its record)  KEYS[2] attempts|creditAttempts
KEYS[3] events  KEYS[4] retries  KEYS[5] failed
KEYS[6] alertFailures (a failure is told by whichever daemon runs the alert bot)
KEYS[7] alertOutbox (a confirm by an attached credit: its alert says delivered / failed)
ARGV: txid (or credit id), action, entry id, group, outcome ('ok'|'fail'), attempt (JSON), now ms,
      attempts allowed per round, retry due ms, keep ms, attempts kept, consumer
Returns {'delivered'|'retry'|'failed'|'stale'|'gone', attempts} ]]
local txid, action, entry, group, outcome = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now, allowed, due, keep, kept = ARGV[7], tonumber(ARGV[8]), ARGV[9], ARGV[10], tonumber(ARGV[11])

-- The alert of a credit attached to this transaction said "queued": have it edited to the outcome.
local function tell_credit_alert()
  if redis.call('HEXISTS', KEYS[1], 'received') == 0 then return end
  redis.call('XADD', KEYS[7], 'MAXLEN', '~', '10000', '*', 'kind', 'settled', 'id', redis.call('HGET', KEYS[1], 'credit_id'))
end

-- Only the consumer holding the entry decides (XACK alone ignores who holds it): after a
-- takeover the new holder's result counts, whichever attempt finishes first.
local acked = 0
local held = redis.pcall('XPENDING', KEYS[3], group, entry, entry, 1, ARGV[12]) -- an error: no stream or group
if not held.err and #held > 0 then
  acked = redis.call('XACK', KEYS[3], group, entry)
  redis.call('XDEL', KEYS[3], entry)
end
-- The record expired (or Redis lost it): writing now would leave a hash without a TTL.
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone', 0} end
redis.call('RPUSH', KEYS[2], ARGV[6])
redis.call('LTRIM', KEYS[2], -kept, -1)
redis.call('PEXPIRE', KEYS[2], keep)
-- Another worker took this entry over and decides its outcome: keep the record of this
-- attempt, but neither count it against the retries nor decide anything.
if acked == 0 then return {'stale', tonumber(redis.call('HGET', KEYS[1], 'wh_attempts') or '0')} end
local attempts = redis.call('HINCRBY', KEYS[1], 'wh_attempts', 1)

if outcome == 'ok' then
  redis.call('HSET', KEYS[1], 'wh_state', 'delivered', 'wh_delivered_at', now)
  redis.call('ZREM', KEYS[5], txid)
  tell_credit_alert()
  return {'delivered', attempts}
end
local round = attempts - tonumber(redis.call('HGET', KEYS[1], 'wh_round') or '0')
if round < allowed then
  redis.call('ZADD', KEYS[4], due, txid .. '|' .. action)
  redis.call('HSET', KEYS[1], 'wh_next_at', due)
  return {'retry', attempts}
end
redis.call('HSET', KEYS[1], 'wh_state', 'failed', 'wh_failed_at', now)
redis.call('HDEL', KEYS[1], 'wh_next_at')
redis.call('ZADD', KEYS[5], now, txid)
-- Capped, like every outbox entry: nothing drains it when no alert bot is configured.
redis.call('XADD', KEYS[6], 'MAXLEN', '~', '10000', '*', 'kind', 'webhook_failed', 'id', txid, 'action', action)
tell_credit_alert()
return {'failed', attempts}
