package io.keybrake.core.lookup;

import io.keybrake.core.key.VendorCredential;

/**
 * {@code ObjectLookup} reads one vendor object with the real credential: {@code GET path} against
 * the vendor's API (or the simulator configured in its place). Implementations do I/O and live
 * outside the core; they bound every call with a timeout and never log the credential or the
 * object. A failure is a value ({@link LookupResult.Unreachable}), never an exception. Thread-safe.
 */
@FunctionalInterface
public interface ObjectLookup {

  /** A lookup that reaches nothing: every bound that needs a lookup is refused (fail closed). */
  ObjectLookup NONE =
      (vendor, credential, path) ->
          new LookupResult.Unreachable("no vendor lookup is configured in this process");

  /**
   * @param vendor the vendor id, e.g. {@code stripe}
   * @param credential the key's real credential, sent the way the vendor spec injects it
   * @param path the vendor API path, starting with {@code /}, already percent-encoded
   */
  LookupResult get(String vendor, VendorCredential credential, String path);
}
