--[[ First sight of a deployment: records the replicas each shard has ('primary' outside a
Cluster), unless a count is recorded already, with an audit entry for each one recorded now.
KEYS[1] replicas  KEYS[2] replicasAudit
ARGV: audit entries kept, {each shard: shard, replica count, audit entry (JSON)}
Returns the whole record (HGETALL). ]]
for i = 2, #ARGV, 3 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('RPUSH', KEYS[2], ARGV[i + 2])
  end
end
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[1]), -1)
return redis.call('HGETALL', KEYS[1])
