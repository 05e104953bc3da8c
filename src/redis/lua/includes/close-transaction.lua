-- Shared by cancel, credit, attach and confirm-manual (included after free-amount): everything
-- closing a pending transaction does, in the caller's step, so the ways to close it (bank credit,
-- by hand, merchant cancel, expiry) cannot drift apart. `k` names the keys: tx, deadlines, load,
-- quarantine, events, amounts, owners, idem, index (txs:confirmed or txs:cancelled).
-- `fields`: extra record fields; `word`: what waiting pay pages are told ('confirmed', a reason).
local function close_transaction(k, txid, card, amount, now, quarantine, keep, action, fields, channel, word)
  local state = action == 'confirm' and 'confirmed' or 'cancelled'
  -- wh_id: the event's webhook-id, fixed at the decision (records decided before it existed keep msg_<tx>).
  redis.call('HSET', k.tx, 'state', state, state .. '_at', fmt(now), 'wh_id', 'msg_' .. txid .. '_' .. action, unpack(fields))
  redis.call('PEXPIRE', k.tx, keep)
  if (redis.call('HGET', k.tx, 'idem') or '') ~= '' then redis.call('PEXPIRE', k.idem, keep) end
  redis.call('ZREM', k.deadlines, txid)
  redis.call('HINCRBY', k.load, card, -1)
  -- The amount stays held a while, so a late or second payment cannot confirm the next customer.
  free_amount(k.quarantine, k.amounts, k.owners, k.load, card, amount, txid, now, quarantine)
  redis.call('XADD', k.events, '*', 'tx', txid, 'action', action)
  redis.call('ZADD', k.index, redis.call('HGET', k.tx, 'created_at'), txid)
  -- Waiting pay pages learn at once (the channel is not a key: PUBLISH reaches every node).
  if channel and channel ~= '' then redis.call('PUBLISH', channel, txid .. '|' .. word .. '|' .. fmt(now)) end
end
