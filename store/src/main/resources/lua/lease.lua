-- lease.lua: take a job's lease, or extend it for its holder, or give it up.
-- KEYS[1] the lease; ARGV[1] the caller's token, ARGV[2] the time to live in ms,
-- ARGV[3] 'hold' or 'release'
-- Returns {'held'} (the caller holds it now), {'other'} (another token does) or {'released'}
local holder = redis.call('GET', KEYS[1])
if ARGV[3] == 'release' then
  if holder == ARGV[1] then
    redis.call('DEL', KEYS[1])
  end
  return {'released'}
end
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {'held'}
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'held'}
end
return {'other'}
