-- claim_reserve.lua: dedup_claim.lua, then reserve.lua only when the claim is won, as one atomic
-- step (one round trip instead of two). A won claim whose reservation is not made is not kept.
-- KEYS      reserve.lua's keys, then the dedup entry (same {ledger} slot)
-- ARGV      reserve.lua's arguments, then dedup_claim.lua's four
-- Returns   dedup_claim.lua's {'inflight'} | {'completed', ...}, or reserve.lua's answer (the
--           claim was won: kept when the answer is 'reserved')
local function claim(KEYS, ARGV)
--#include dedup_claim
end
local function reserve(KEYS, ARGV)
--#include reserve
end
local entry = KEYS[#KEYS]
local n = #ARGV
local c = claim({entry}, {ARGV[n - 3], ARGV[n - 2], ARGV[n - 1], ARGV[n]})
if c[1] ~= 'won' then
  return c
end
local rkeys, rargs = {}, {}
for i = 1, #KEYS - 1 do
  rkeys[i] = KEYS[i]
end
for i = 1, n - 4 do
  rargs[i] = ARGV[i]
end
local r = reserve(rkeys, rargs)
if r[1] ~= 'reserved' then
  redis.call('DEL', entry)
end
return r
