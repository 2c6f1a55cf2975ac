package io.keybrake.core.lookup;

import java.util.Objects;

/** What a lookup ended with. Immutable. */
public sealed interface LookupResult {

  /** The vendor answered (any status); the body is its bytes as received. */
  record Answered(int status, byte[] body) implements LookupResult {
    public Answered {
      Objects.requireNonNull(body);
    }
  }

  /** No answer: DNS, connection, timeout. The reason names no secret. */
  record Unreachable(String reason) implements LookupResult {
    public Unreachable {
      Objects.requireNonNull(reason);
    }
  }
}
