-- dedup_watch.lua: a waiter's look at an entry; marks an in-flight entry as waited on, so its
-- completion or abandonment is published (entries nobody waits on publish nothing).
-- KEYS[1] the entry
-- Returns {state} ('inflight', 'completed' or '' when there is no entry)
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'inflight' then
  redis.call('HSET', KEYS[1], 'waiters', '1')
end
return {state or ''}
