-- adjust.lua: the vendor's final price for a settled reservation replaces its settled amount.
-- KEYS[1] the ledger's epoch marker, KEYS[2] the reservation hash
-- ARGV[1] the final actual cost (micro-dollars), ARGV[2] (optional, '0' = none) how long the
-- reservation is kept once its price is final (ms), when that is shorter than its time to live
-- Returns {'rebuilding'} | {'unknown'} | {state} when not settled | {'same'} | {'done'}
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'rebuilding'}
end
local r = redis.call('HMGET', KEYS[2], 'state', 'actual', 'n')
if not r[1] then
  return {'unknown'}
end
if r[1] ~= 'settled' then
  return {r[1]}
end
local function retain(KEYS, ARGV)
--#include retain
end
local before = tonumber(r[2] or '0')
local after = tonumber(ARGV[1])
local delta = after - before
if delta == 0 then
  retain({KEYS[2]}, {ARGV[2]})
  return {'same'}
end
for i = 1, tonumber(r[3]) do
  local counter = redis.call('HGET', KEYS[2], 'c' .. i)
  if redis.call('EXISTS', counter) == 1 then
    redis.call('HINCRBY', counter, 'settled', string.format('%.0f', delta))
  end
end
redis.call('HSET', KEYS[2], 'actual', ARGV[1])
retain({KEYS[2]}, {ARGV[2]})
return {'done'}
