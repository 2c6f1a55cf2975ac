-- guard_count.lua: count one call in every guard counter of a key, atomically.
-- KEYS[i]        counter i (a string holding an integer), all tagged with the key's hash slot
-- KEYS[n+i]      counter i's once-marker, or an unused placeholder when it has none
-- ARGV[1]        n, the number of counters
-- ARGV[2]        1 = enforce (add nothing when any limit would be passed), 0 = count regardless
-- ARGV[3]        now (unix ms, from the caller's clock; expiries are relative to it)
-- ARGV[3+4i-3..] counter i: amount, limit, expiry (unix ms), marker lifetime (ms, 0 = none)
-- Returns {exceeded (1-based, 0 = none), total_1, ..., total_n}.
local n = tonumber(ARGV[1])
local enforce = ARGV[2] == '1'
local now = tonumber(ARGV[3])
local function int(x)
  return string.format('%.0f', x)
end
local totals, skipped = {}, {}
local exceeded = 0
for i = 1, n do
  local base = 3 + 4 * (i - 1)
  local amount = tonumber(ARGV[base + 1])
  local limit = tonumber(ARGV[base + 2])
  local markerTtl = tonumber(ARGV[base + 4])
  skipped[i] = markerTtl > 0 and redis.call('EXISTS', KEYS[n + i]) == 1
  totals[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
  if exceeded == 0 and not skipped[i] and totals[i] + amount > limit then
    exceeded = i
  end
end
if not (enforce and exceeded > 0) then
  for i = 1, n do
    if not skipped[i] then
      local base = 3 + 4 * (i - 1)
      local amount = tonumber(ARGV[base + 1])
      local expiry = tonumber(ARGV[base + 3])
      local markerTtl = tonumber(ARGV[base + 4])
      totals[i] = redis.call('INCRBY', KEYS[i], ARGV[base + 1])
      local ttl = expiry - now
      if ttl < 1 then
        ttl = 1
      end
      redis.call('PEXPIRE', KEYS[i], int(ttl))
      if markerTtl > 0 then
        redis.call('SET', KEYS[n + i], '1', 'PX', int(markerTtl))
      end
    end
  end
end
local out = {exceeded}
for i = 1, n do
  out[#out + 1] = int(totals[i])
end
return out
