-- rebuild_finish.lua: mark the ledger ready (write the epoch) if this rebuild still holds the lock,
-- or give the lock up after a failed rebuild.
-- KEYS[1] the ledger's epoch marker, KEYS[2] the rebuild lock
-- ARGV[1] the lock token, ARGV[2] the new epoch ('' = give the lock up without marking ready),
-- written as '<this server's run id>/<epoch>' (fence.lua drops a marker another server wrote)
-- Returns {'ready'} when already rebuilt | {'lost'} | {'ok'}
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'ready'}
end
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return {'lost'}
end
if ARGV[2] ~= '' then
  local id = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
  redis.call('SET', KEYS[1], id .. '/' .. ARGV[2])
end
redis.call('DEL', KEYS[2])
return {'ok'}
