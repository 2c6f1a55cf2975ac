package io.keybrake.store.redis;

import io.keybrake.core.store.StoreUnavailableException;

/**
 * Redis answered a command with an error ({@code ERR …} from a script, {@code READONLY}, {@code
 * OOM}, …): it is reachable, so this is a fault of the command or of Redis's state, not an outage;
 * the command did not run. To the caller still a store that cannot serve this call.
 */
final class RefusedException extends StoreUnavailableException {
  private static final long serialVersionUID = 1L;

  RefusedException(String message, Throwable cause) {
    super(message, cause);
  }
}
