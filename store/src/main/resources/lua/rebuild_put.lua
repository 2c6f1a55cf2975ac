-- rebuild_put.lua: write rebuilt hashes (counters, reservations) with absolute values, so a
-- rebuild that is repeated after a crash writes the same state again.
-- KEYS[1] the ledger's epoch marker, KEYS[2] the rebuild lock, KEYS[3..] the hashes to write
-- ARGV[1] the lock token, ARGV[2] lock TTL (ms), ARGV[3] now (unix ms)
-- ARGV[1+i] for KEYS[i], i >= 3: JSON object of string fields; '_x' = expiry (unix ms, 0 = never)
-- Returns {'ready'} when the ledger is already rebuilt | {'lost'} when the lock is not ours | {'ok'}
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'ready'}
end
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return {'lost'}
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
local now = tonumber(ARGV[3])
for i = 3, #KEYS do
  local h = cjson.decode(ARGV[i + 1])
  redis.call('DEL', KEYS[i])
  for f, v in pairs(h) do
    if f ~= '_x' then
      redis.call('HSET', KEYS[i], f, v)
    end
  end
  if h['_x'] ~= '0' then
    local ms = tonumber(h['_x']) - now
    if ms < 1 then
      ms = 1
    end
    redis.call('PEXPIRE', KEYS[i], string.format('%.0f', ms))
  end
end
return {'ok'}
