/**
 * Fleet state in Redis: the spend ledger ({@link io.keybrake.store.redis.RedisLedger}), the dedup
 * cache ({@link io.keybrake.store.redis.RedisDedupCache}) and revocation fan-out ({@link
 * io.keybrake.store.redis.RedisRevocations}), all over one bounded connection ({@link
 * io.keybrake.store.redis.RedisStore}).
 *
 * <pre>{@code
 * RedisStore store = RedisStore.connect("redis://127.0.0.1:6379", RedisSettings.defaults(), clock);
 * RedisLedger ledger = new RedisLedger(store, spendRecord);   // spendRecord: the audit log
 * ledger.rebuild();                                           // initialise a new Redis
 * RedisDedupCache dedup = new RedisDedupCache(store);
 * RedisRevocations revocations =
 *     new RedisRevocations(store, keyCache::invalidate, keyCache::clear);
 * ...
 * revocations.close(); dedup.close(); ledger.close(); store.close();
 * }</pre>
 *
 * <p>Every operation is a Lua script from {@code resources/lua/} (loaded once, run by {@code
 * EVALSHA}, {@code EVAL} on {@code NOSCRIPT}); every command answers within the command timeout or
 * throws {@link io.keybrake.core.store.StoreUnavailableException}. The ledger's keys share the hash
 * tag {@code {ledger}} (one Cluster slot); see {@code RedisKeys} for the layout. Redis must run
 * with {@code maxmemory-policy noeviction}.
 */
package io.keybrake.store.redis;
