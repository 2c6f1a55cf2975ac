package io.keybrake.harness.envoy;

import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Applies an ext_proc {@link HeaderMutation} to a mutable header list the way Envoy's {@code
 * MutationUtils::applyHeaderMutations} does: values are read from {@code raw_value} only; a
 * HeaderValue with both {@code value} and {@code raw_value} set, an invalid name or value, or a
 * refused mutation under {@code disallow_is_error} is an error (a local 500); other refused
 * mutations are ignored and noted. Stateless and thread-safe.
 */
final class HeaderMutator {
  private final MutationRules rules;

  HeaderMutator(MutationRules rules) {
    this.rules = rules;
  }

  /**
   * Applies {@code mutation}; returns the error (Envoy's local reply details) or empty on success.
   */
  @SuppressWarnings("deprecation") // Envoy still honours the deprecated `append` flag.
  Optional<String> apply(
      HeaderMutation mutation,
      List<Map.Entry<String, String>> headers,
      boolean replacingMessage,
      List<String> notes) {
    for (String raw : mutation.getRemoveHeadersList()) {
      if (!validName(raw)) {
        return Optional.of("Invalid character in remove_headers mutation.");
      }
      String name = Headers.lower(raw);
      switch (rules.check(MutationRules.Operation.REMOVE, name)) {
        case OK -> headers.removeIf(e -> e.getKey().equals(name));
        case IGNORE -> notes.add("mutation ignored: remove " + name);
        case FAIL -> {
          return Optional.of("Invalid attempt to remove " + name);
        }
      }
    }
    for (HeaderValueOption option : mutation.getSetHeadersList()) {
      if (!option.hasHeader()) {
        continue;
      }
      if (!option.getHeader().getValue().isEmpty() && !option.getHeader().getRawValue().isEmpty()) {
        return Optional.of(
            "Only one of value or raw_value in the HeaderValue message should be set.");
      }
      String name = Headers.lower(option.getHeader().getKey());
      String value = option.getHeader().getRawValue().toString(StandardCharsets.UTF_8);
      if (!validName(name) || !validValue(value)) {
        return Optional.of("Invalid character in set_headers mutation.");
      }
      boolean exists = headers.stream().anyMatch(e -> e.getKey().equals(name));
      boolean append;
      switch (option.getAppendActionValue()) {
        case HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD_VALUE ->
            // Envoy reads the deprecated `append` flag here (default false: overwrite).
            append = option.hasAppend() && option.getAppend().getValue();
        case HeaderValueOption.HeaderAppendAction.ADD_IF_ABSENT_VALUE -> {
          if (exists) {
            continue;
          }
          append = true;
        }
        case HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD_VALUE ->
            append = false;
        case HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_VALUE -> {
          if (!exists) {
            continue;
          }
          append = false;
        }
        default -> {
          return Optional.of("Invalid append_action value " + name);
        }
      }
      MutationRules.Operation op =
          append && exists ? MutationRules.Operation.APPEND : MutationRules.Operation.SET;
      MutationRules.Result result = rules.check(op, name);
      if (replacingMessage && name.equals(":method")) {
        result = MutationRules.Result.OK;
      }
      switch (result) {
        case OK -> {
          if (append) {
            headers.add(Map.entry(name, value));
          } else {
            set(headers, name, value);
          }
        }
        case IGNORE -> notes.add("mutation ignored: set " + name);
        case FAIL -> {
          return Optional.of("Invalid attempt to modify " + name);
        }
      }
    }
    return Optional.empty();
  }

  /** Replaces the first {@code name} in place, drops the others, or appends when absent. */
  static void set(List<Map.Entry<String, String>> headers, String name, String value) {
    int first = -1;
    for (int i = 0; i < headers.size(); i++) {
      if (headers.get(i).getKey().equals(name)) {
        first = i;
        break;
      }
    }
    if (first < 0) {
      headers.add(Map.entry(name, value));
      return;
    }
    headers.set(first, Map.entry(name, value));
    for (int i = headers.size() - 1; i > first; i--) {
      if (headers.get(i).getKey().equals(name)) {
        headers.remove(i);
      }
    }
  }

  private static boolean validName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    int start = name.charAt(0) == ':' ? 1 : 0;
    if (start == name.length()) {
      return false;
    }
    for (int i = start; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean token =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!token) {
        return false;
      }
    }
    return true;
  }

  private static boolean validValue(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n' || c == 0) {
        return false;
      }
    }
    return true;
  }
}
