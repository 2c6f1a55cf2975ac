-- dedup_complete.lua: store the original's 2xx response if the token still owns the entry.
-- KEYS[1] the entry
-- ARGV[1] token, ARGV[2] status, ARGV[3] headers JSON, ARGV[4] body base64,
-- ARGV[5] change channel, ARGV[6] fingerprint
-- Returns {'ok'} | {'stale'}; publishes only when a waiter marked the entry (dedup_watch.lua).
local e = redis.call('HMGET', KEYS[1], 'state', 'token', 'waiters')
if e[1] ~= 'inflight' or e[2] ~= ARGV[1] then
  return {'stale'}
end
redis.call('HSET', KEYS[1], 'state', 'completed', 'status', ARGV[2], 'headers', ARGV[3],
  'body', ARGV[4])
if e[3] then
  redis.call('HDEL', KEYS[1], 'waiters')
  redis.call('PUBLISH', ARGV[5], ARGV[6])
end
return {'ok'}
