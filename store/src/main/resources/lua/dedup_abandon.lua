-- dedup_abandon.lua: drop the entry if the token still owns it, so a retry may go.
-- KEYS[1] the entry
-- ARGV[1] token, ARGV[2] change channel, ARGV[3] fingerprint
-- Returns {'ok'} | {'stale'}
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then
  return {'stale'}
end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return {'ok'}
