-- finish.lua: settle a reservation at its actual cost, or release it (actual cost 0).
-- KEYS[1] the ledger's epoch marker, KEYS[2] the reservation hash
-- ARGV[1] actual cost (micro-dollars), ARGV[2] the new state ('settled' | 'released'),
-- ARGV[3] now (unix ms), ARGV[4] (optional, '0' = none) how long the reservation is kept once
-- finished (ms) when that is shorter than its time to live: its outcome is final (released, or
-- settled at the vendor's own price), so only a repeated finish can still ask for it
-- Returns {'rebuilding'} | {'unknown'} | {state} when already finished | {'done'}
local function retain(KEYS, ARGV)
--#include retain
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'rebuilding'}
end
local r = redis.call('HMGET', KEYS[2], 'state', 'amount', 'n')
if not r[1] then
  return {'unknown'}
end
if r[1] ~= 'reserved' and r[1] ~= 'unsettled' then
  return {r[1]}
end
local now = tonumber(ARGV[3])
local amount = tonumber(r[2])
local actual = tonumber(ARGV[1])
for i = 1, tonumber(r[3]) do
  local counter = redis.call('HGET', KEYS[2], 'c' .. i)
  local expiry = redis.call('HGET', KEYS[2], 'x' .. i)
  if amount ~= 0 then -- '%.0f' of -0 is '-0', which HINCRBY refuses as not an integer
    redis.call('HINCRBY', counter, 'reserved', string.format('%.0f', -amount))
  end
  if actual > 0 then
    redis.call('HINCRBY', counter, 'settled', ARGV[1])
  end
  if expiry ~= '0' then
    local ms = tonumber(expiry) - now
    if ms < 1 then
      ms = 1
    end
    redis.call('PEXPIRE', counter, string.format('%.0f', ms))
  end
end
redis.call('HSET', KEYS[2], 'state', ARGV[2], 'actual', ARGV[1])
redis.call('ZREM', 'kb:{ledger}:open', KEYS[2])
retain({KEYS[2]}, {ARGV[4]})
return {'done'}
