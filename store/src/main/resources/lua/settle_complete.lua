-- settle_complete.lua: finish.lua (settled) and dedup_complete.lua as one atomic step (one round
-- trip instead of two).
-- KEYS[1] the ledger's epoch marker, KEYS[2] the reservation hash, KEYS[3] the dedup entry
-- ARGV[1..4] finish.lua's arguments, ARGV[5..10] dedup_complete.lua's
-- Returns {'rebuilding'} (nothing done) | {finish.lua's answer, dedup_complete.lua's answer}
local function finish(KEYS, ARGV)
--#include finish
end
local function complete(KEYS, ARGV)
--#include dedup_complete
end
local f = finish({KEYS[1], KEYS[2]}, {ARGV[1], ARGV[2], ARGV[3], ARGV[4]})
if f[1] == 'rebuilding' then
  return f
end
local c = complete({KEYS[3]}, {ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]})
return {f[1], c[1]}
