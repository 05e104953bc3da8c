--[[ `paycue redis replicas set N`: the only way a recorded replica count changes, audited.
KEYS[1] replicas  KEYS[2] replicasAudit
ARGV: shard, new count, audit entry (JSON; the previous count is added here as `from`), entries kept
Returns the previous count ('' when none was recorded). ]]
local old = redis.call('HGET', KEYS[1], ARGV[1]) or ''
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local entry = cjson.decode(ARGV[3])
if old ~= '' then entry['from'] = tonumber(old) end
redis.call('RPUSH', KEYS[2], cjson.encode(entry))
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
return old
