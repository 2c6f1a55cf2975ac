-- counter.lua: read one counter, unless the ledger is being rebuilt.
-- KEYS[1] the ledger's epoch marker, KEYS[2] the counter
-- Returns {'rebuilding'} | {'ok', settled, reserved}
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'rebuilding'}
end
local c = redis.call('HMGET', KEYS[2], 'settled', 'reserved')
return {'ok', c[1] or '0', c[2] or '0'}
