-- cancel.lua: undo a reservation whose answer was lost (the caller refused the call, so it was not
-- forwarded). An open reservation is released; when Redis has not run the reserve (it was lost, or
-- it is still to come on a reconnected connection) a 'cancelled' mark takes its place, so a late
-- reserve with the same id answers 'again' and takes nothing. The dedup claim the same call may
-- have taken is dropped while its token still owns it. Idempotent.
-- KEYS[1] the ledger's epoch marker, KEYS[2] the reservation hash, KEYS[3] (optional) dedup entry
-- ARGV[1] now (unix ms), ARGV[2] the mark's TTL (ms),
-- ARGV[3] claim token, ARGV[4] change channel, ARGV[5] fingerprint (when KEYS[3] is given)
-- Returns {'rebuilding'} (nothing to undo: the ledger is rebuilt from the audit log, where a
--   refused call holds nothing) | {'released'} | {'marked'} | {state} when already finished
local function finish(KEYS, ARGV)
--#include finish
end
local function abandon(KEYS, ARGV)
--#include dedup_abandon
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'rebuilding'}
end
if #KEYS == 3 then
  abandon({KEYS[3]}, {ARGV[3], ARGV[4], ARGV[5]})
end
if not redis.call('HGET', KEYS[2], 'state') then
  redis.call('HSET', KEYS[2], 'state', 'cancelled')
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  return {'marked'}
end
local r = finish({KEYS[1], KEYS[2]}, {'0', 'released', ARGV[1]})
if r[1] == 'done' then
  return {'released'}
end
return r
