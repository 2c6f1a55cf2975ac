-- reserve.lua: check one amount against every counter of a call and reserve it in all, or in none.
-- KEYS[1]   the ledger's epoch marker (missing: the ledger lost its state and must be rebuilt)
-- KEYS[2]   the reservation hash
-- KEYS[3..] the counters, distinct, in the caller's order
-- ARGV[1]   amount (micro-dollars, integer)
-- ARGV[2]   now (unix ms, from the caller's clock; TTLs are relative to it)
-- ARGV[3]   when the reservation expires (unix ms)
-- ARGV[2+2i], ARGV[3+2i]  counter i's cap (micro-dollars) and expiry (unix ms, 0 = never)
-- ARGV[#ARGV - 1] how long a refused reservation is kept (ms): only a repeated reserve of the
--           same id reads it
-- ARGV[#ARGV] the key id (kept with the reservation, for the stale-reservation sweep)
-- An open reservation is also listed in the sorted set kb:{ledger}:open, scored by its time.
-- Returns {'rebuilding'} | {'again', state, spent, limit} | {'refused', limit, total}
--       | {'reserved', limit, spent}; limit is the 1-based counter index (0 when there is none).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'rebuilding'}
end
local prior = redis.call('HMGET', KEYS[2], 'state', 'spent', 'limit')
if prior[1] then
  return {'again', prior[1], prior[2], prior[3]}
end
local function int(x)
  return string.format('%.0f', x)
end
local function ttl(expiry, now)
  local ms = tonumber(expiry) - now
  if ms < 1 then
    ms = 1
  end
  return int(ms)
end
local amount = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local n = #KEYS - 2
local tightest, tightestSpent, tightestRoom = 0, amount, nil
for i = 1, n do
  local c = redis.call('HMGET', KEYS[i + 2], 'settled', 'reserved')
  local total = (tonumber(c[1]) or 0) + (tonumber(c[2]) or 0)
  local cap = tonumber(ARGV[2 + 2 * i])
  if total > cap - amount then
    redis.call('HSET', KEYS[2], 'state', 'refused', 'amount', ARGV[1], 'spent', int(total),
      'limit', tostring(i))
    redis.call('PEXPIRE', KEYS[2], ARGV[#ARGV - 1])
    return {'refused', tostring(i), int(total)}
  end
  local room = cap - total - amount
  if tightestRoom == nil or room < tightestRoom then
    tightest, tightestSpent, tightestRoom = i, total + amount, room
  end
end
local fields = {'state', 'reserved', 'amount', ARGV[1], 'spent', int(tightestSpent),
  'limit', tostring(tightest), 'n', tostring(n), 'key', ARGV[#ARGV], 'at', ARGV[2]}
for i = 1, n do
  local counter = KEYS[i + 2]
  local expiry = ARGV[3 + 2 * i]
  redis.call('HINCRBY', counter, 'reserved', ARGV[1])
  if expiry ~= '0' then
    redis.call('PEXPIRE', counter, ttl(expiry, now))
  end
  fields[#fields + 1] = 'c' .. i
  fields[#fields + 1] = counter
  fields[#fields + 1] = 'x' .. i
  fields[#fields + 1] = expiry
end
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('PEXPIRE', KEYS[2], ttl(ARGV[3], now))
redis.call('ZADD', 'kb:{ledger}:open', ARGV[2], KEYS[2])
return {'reserved', tostring(tightest), int(tightestSpent)}
