-- dedup_claim.lua: claim a fingerprint, or report the live entry.
-- KEYS[1] the entry
-- ARGV[1] a new token, ARGV[2] now (unix us), ARGV[3] expiry (unix us), ARGV[4] TTL (ms)
-- Returns {'won'} | {'inflight'} | {'completed', status, headers JSON, body base64}
local e = redis.call('HMGET', KEYS[1], 'state', 'exp', 'status', 'headers', 'body')
if e[1] and tonumber(e[2]) > tonumber(ARGV[2]) then
  if e[1] == 'inflight' then
    return {'inflight'}
  end
  return {'completed', e[3], e[4], e[5]}
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'inflight', 'token', ARGV[1], 'exp', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {'won'}
