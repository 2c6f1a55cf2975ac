-- retain.lua: keep a key at most a given time more; nothing when it expires sooner already.
-- KEYS[1] the key, ARGV[1] (optional, '0' = no change) the longest time to live left (ms)
if ARGV[1] and ARGV[1] ~= '0' then
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 or left > tonumber(ARGV[1]) then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
  end
end
