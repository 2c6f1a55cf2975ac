-- fence.lua: is the ledger this server holds one that was built on this very server? Run once per
-- connection (after every reconnect) before any other command. The epoch marker names the run id
-- of the server the ledger was (re)built on. A different run id means the data came from another
-- server (a replica promoted by a failover, or a restart from a snapshot or an AOF), which may
-- have missed the last acknowledged writes: the marker is dropped, so every ledger script answers
-- 'rebuilding' until the ledger is rebuilt from the audit log on this server.
-- KEYS[1] the ledger's epoch marker
-- Returns {'ok', run id} | {'fenced', run id} (this call dropped the marker)
--       | {'rebuilding', run id} (no marker)
local id = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  return {'rebuilding', id}
end
if string.sub(epoch, 1, string.len(id) + 1) == id .. '/' then
  return {'ok', id}
end
redis.call('DEL', KEYS[1])
return {'fenced', id}
