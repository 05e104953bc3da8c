--[[ An open credit's alert went out: remember its message on the record (so that settling the
credit elsewhere edits it) and drop the outbox entry, in one step. A credit settled while its alert
was on the way (the settle script saw no message to edit) gets its `settled` entry here.
KEYS[1] credit  KEYS[2] alertOutbox
ARGV: outbox entry id, Telegram message id, credit id
Returns 1, or 0 when the record is gone (nothing written: a hash without its TTL would stay). ]]
redis.call('XDEL', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'alert_message', ARGV[2])
if redis.call('HGET', KEYS[1], 'state') == 'resolved' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', '10000', '*', 'kind', 'settled', 'id', ARGV[3])
end
return 1
