package io.keybrake.store.redis;

import java.util.List;

/** The Lua scripts of the Redis adapters, read once from {@code resources/lua/}. */
final class Scripts {
  static final LuaScript RESERVE = LuaScript.load("reserve");
  static final LuaScript FINISH = LuaScript.load("finish");
  static final LuaScript UNSETTLE = LuaScript.load("unsettle");
  static final LuaScript COUNTER = LuaScript.load("counter");
  static final LuaScript REBUILD_PUT = LuaScript.load("rebuild_put");
  static final LuaScript REBUILD_FINISH = LuaScript.load("rebuild_finish");
  static final LuaScript DEDUP_CLAIM = LuaScript.load("dedup_claim");
  static final LuaScript DEDUP_COMPLETE = LuaScript.load("dedup_complete");
  static final LuaScript DEDUP_ABANDON = LuaScript.load("dedup_abandon");
  static final LuaScript DEDUP_WATCH = LuaScript.load("dedup_watch");
  static final LuaScript ADJUST = LuaScript.load("adjust");
  static final LuaScript CLAIM_RESERVE = LuaScript.load("claim_reserve");
  static final LuaScript SETTLE_COMPLETE = LuaScript.load("settle_complete");
  static final LuaScript CANCEL = LuaScript.load("cancel");
  static final LuaScript FENCE = LuaScript.load("fence");
  static final LuaScript LEASE = LuaScript.load("lease");

  static final List<LuaScript> ALL =
      List.of(
          RESERVE,
          FINISH,
          UNSETTLE,
          COUNTER,
          REBUILD_PUT,
          REBUILD_FINISH,
          DEDUP_CLAIM,
          DEDUP_COMPLETE,
          DEDUP_ABANDON,
          DEDUP_WATCH,
          ADJUST,
          CLAIM_RESERVE,
          SETTLE_COMPLETE,
          CANCEL,
          FENCE,
          LEASE);

  private Scripts() {}
}
