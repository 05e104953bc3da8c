--[[ Read the same fields of many hashes in one call (list pages).
KEYS[1 ..] {each row: tx|credit}
ARGV: {each field: field name}
Returns one array of values per hash (false for a missing field or hash). ]]
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('HMGET', key, unpack(ARGV)) end
return out
