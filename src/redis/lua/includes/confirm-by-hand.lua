-- Shared by attach and confirm-manual (included after free-amount and close-transaction):
-- pending -> confirmed by a person, with who and why on the record, in the caller's step.
-- `credit`/`received`: the attached credit and what it brought in tiyin (attach only: the order's
-- `amount` stays what was asked, so the merchant sees both). The tx's `received` field also marks
-- a confirm whose credit alert follows its webhook (attempt-result.lua).
-- Returns nil when it confirmed, else why not: 'unknown', 'stale' (the card changed) or the state.
local function confirm_by_hand(k, txid, card, now, quarantine, keep, by, reason, credit, channel, received)
  local t = redis.call('HMGET', k.tx, 'state', 'card', 'amount')
  if not t[1] then return 'unknown' end
  if t[1] ~= 'pending' then return t[1] end
  if t[2] ~= card then return 'stale' end
  local fields = {'resolution', 'manual', 'confirmed_by', by, 'confirm_reason', reason}
  if credit ~= '' then fields[#fields + 1] = 'credit_id'; fields[#fields + 1] = credit end
  if received then fields[#fields + 1] = 'received'; fields[#fields + 1] = received end
  close_transaction(k, txid, card, t[3], now, quarantine, keep, 'confirm', fields, channel, 'confirmed')
  return nil
end

-- The transaction's keys, in the order attach and confirm-manual declare them from `first`.
local function tx_keys(first)
  return {
    tx = KEYS[first], deadlines = KEYS[first + 1], load = KEYS[first + 2], quarantine = KEYS[first + 3],
    events = KEYS[first + 4], amounts = KEYS[first + 5], owners = KEYS[first + 6], idem = KEYS[first + 7],
    index = KEYS[first + 8], audit = KEYS[first + 9],
  }
end

-- One audit entry (JSON made by the caller), kept as long as its record.
local function audit(list, entry, keep)
  redis.call('RPUSH', list, entry)
  redis.call('PEXPIRE', list, keep)
end
