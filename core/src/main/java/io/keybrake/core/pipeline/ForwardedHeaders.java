package io.keybrake.core.pipeline;

import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.vendor.VendorSpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which of the agent's request headers reach the vendor. Only the vendor's {@code forward_headers}
 * (and an {@code account_headers} value the policy lists) are forwarded; everything else is dropped
 * ({@code Proxy-Authorization}, {@code X-Admin-Key}, {@code x-keybrake-*}, cookies…). Headers that
 * would change what the vendor does with the call refuse it instead: method overrides, a repeated
 * {@code Content-Type} or other forwarded header, {@code Content-Length} that is repeated or comes
 * with {@code Transfer-Encoding}, a transfer coding other than {@code chunked}. Framing and routing
 * headers belong to the data plane and are left to it (Envoy strips every agent-sent {@code
 * x-envoy-*} header before the ext_proc filter, and refuses a mutation of one). Thread-safe
 * (stateless).
 */
final class ForwardedHeaders {
  /** Headers this data plane sets for routing; never forwarded to a vendor. */
  static final String KEY_ID_HEADER = "x-keybrake-key-id";

  static final String VENDOR_HEADER = "x-keybrake-vendor";

  /** Headers the rewrite sets, overwriting what the agent sent. */
  static final Set<String> KEYBRAKE_SETS = Set.of("authorization", KEY_ID_HEADER, VENDOR_HEADER);

  /** Headers that make a server treat the call as another method or path. */
  static final Set<String> MEANING_CHANGING =
      Set.of(
          "x-http-method-override",
          "x-http-method",
          "x-method-override",
          "x-original-method",
          "x-original-url",
          "x-rewrite-url",
          "x-override-url");

  /** Owned by the data plane: pseudo-headers, framing and hop-by-hop headers. */
  private static final Set<String> DATA_PLANE =
      Set.of(
          "host",
          "content-length",
          "transfer-encoding",
          "connection",
          "keep-alive",
          "proxy-connection",
          "te",
          "trailer",
          "upgrade",
          "expect");

  /** Forwarded headers that may appear more than once. */
  private static final Set<String> REPEATABLE = Set.of("accept", "accept-charset");

  private ForwardedHeaders() {}

  /** The refusal for headers that change the call's meaning or scope, if any. */
  static Optional<Refusal> check(RequestHead head, VendorSpec vendor, Policy policy) {
    for (Map.Entry<String, String> h : head.headers()) {
      if (MEANING_CHANGING.contains(h.getKey())) {
        return Optional.of(
            unreadable(
                "header "
                    + h.getKey()
                    + " would make the vendor read the call as another method or path; it is"
                    + " not accepted"));
      }
    }
    List<String> lengths = head.all("content-length");
    List<String> codings = head.all("transfer-encoding");
    if (lengths.size() > 1) {
      return Optional.of(unreadable("the request has more than one Content-Length header"));
    }
    if (!lengths.isEmpty() && !codings.isEmpty()) {
      return Optional.of(
          unreadable("the request has both Content-Length and Transfer-Encoding headers"));
    }
    if (codings.size() > 1
        || (codings.size() == 1 && !codings.get(0).strip().equalsIgnoreCase("chunked"))) {
      return Optional.of(unreadable("only Transfer-Encoding: chunked is accepted"));
    }
    Set<String> single = new LinkedHashSet<>(vendor.forwardHeaders());
    single.addAll(vendor.accountHeaders());
    single.add("content-type");
    for (String name : single) {
      if (!REPEATABLE.contains(name) && head.all(name).size() > 1) {
        return Optional.of(
            unreadable("the request has more than one " + name + " header; send exactly one"));
      }
    }
    for (String name : vendor.accountHeaders()) {
      Optional<String> account = head.first(name);
      if (account.isPresent() && !policy.allowedAccounts().contains(account.get().strip())) {
        return Optional.of(
            Refusal.of(
                RefusalCode.ENDPOINT_NOT_ALLOWED,
                "header "
                    + name
                    + " acts on another account, and this key's policy does not list that"
                    + " account in allowed_accounts"));
      }
    }
    return Optional.empty();
  }

  /**
   * The names of the agent's headers to drop before forwarding: every one that is not forwarded,
   * not the data plane's, and not set by Keybrake ({@code keybrakeSets}).
   */
  static List<String> toDrop(RequestHead head, VendorSpec vendor, Set<String> keybrakeSets) {
    Set<String> drop = new LinkedHashSet<>();
    for (Map.Entry<String, String> h : head.headers()) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (name.startsWith(":")
          || name.startsWith("x-envoy-")
          || DATA_PLANE.contains(name)
          || keybrakeSets.contains(name)
          || vendor.forwardHeaders().contains(name)
          || vendor.accountHeaders().contains(name)) {
        continue;
      }
      drop.add(name);
    }
    return new ArrayList<>(drop);
  }

  private static Refusal unreadable(String message) {
    return Refusal.of(RefusalCode.UNREADABLE_REQUEST, message);
  }
}
