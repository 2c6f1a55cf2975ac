package io.keybrake.controlplane.xds;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;

/**
 * The first HTTP filter of the egress listener: removes every {@code x-envoy-*} and {@code
 * x-keybrake-*} header the agent sent, before the ext_proc filter and the router see them. Behind a
 * sidecar every request comes from localhost, which Envoy treats as internal and whose {@code
 * x-envoy-*} headers it would honour ({@code x-envoy-retry-on} and {@code x-envoy-max-retries}
 * would send one decided call to the vendor several times); an agent-sent {@code x-keybrake-*}
 * header could pose as one Keybrake sets for routing. Envoy's {@code header_mutation} filter only
 * removes exact names, so this is a few lines of Lua. Stateless and thread-safe.
 */
public final class AgentHeaderFilter {
  public static final String NAME = "envoy.filters.http.lua";

  /** The Lua source, also written out in {@code envoy/static/sidecar-static.yaml}. */
  public static final String SOURCE =
      "function envoy_on_request(request_handle)\n"
          + "  local headers = request_handle:headers()\n"
          + "  local drop = {}\n"
          + "  for name, _ in pairs(headers) do\n"
          + "    local n = string.lower(name)\n"
          + "    if string.sub(n, 1, 8) == \"x-envoy-\" or string.sub(n, 1, 11) == \"x-keybrake-\""
          + " then\n"
          + "      table.insert(drop, name)\n"
          + "    end\n"
          + "  end\n"
          + "  for _, name in ipairs(drop) do\n"
          + "    headers:remove(name)\n"
          + "  end\n"
          + "end\n";

  private AgentHeaderFilter() {}

  /** The filter, to put before ext_proc. */
  public static HttpFilter filter() {
    return HttpFilter.newBuilder()
        .setName(NAME)
        .setTypedConfig(
            Any.pack(
                Lua.newBuilder()
                    .setDefaultSourceCode(DataSource.newBuilder().setInlineString(SOURCE))
                    .setStatPrefix("keybrake_agent_headers")
                    .build()))
        .build();
  }
}
