-- dedup_abandon.lua: drop the entry if the token still owns it, so a retry may go.
-- KEYS[1] the entry
-- ARGV[1] token, ARGV[2] change channel, ARGV[3] fingerprint
-- Returns {'ok'} | {'stale'}; publishes only when a waiter marked the entry (dedup_watch.lua).
local e = redis.call('HMGET', KEYS[1], 'token', 'waiters')
if e[1] ~= ARGV[1] then
  return {'stale'}
end
redis.call('DEL', KEYS[1])
if e[2] then
  redis.call('PUBLISH', ARGV[2], ARGV[3])
end
return {'ok'}
