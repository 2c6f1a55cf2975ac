-- unsettle.lua: keep an open reservation as spend and mark it unsettled.
-- KEYS[1] the ledger's epoch marker, KEYS[2] the reservation hash
-- Returns {'rebuilding'} | {'unknown'} | {state before}
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'rebuilding'}
end
local state = redis.call('HGET', KEYS[2], 'state')
if not state then
  return {'unknown'}
end
if state == 'reserved' then
  redis.call('HSET', KEYS[2], 'state', 'unsettled')
end
redis.call('ZREM', 'kb:{ledger}:open', KEYS[2])
return {state}
