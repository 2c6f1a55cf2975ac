package io.keybrake.harness.envoy;

/**
 * {@code MutationRules} models Envoy's {@code HeaderMutationRules} (the ext_proc filter's {@code
 * mutation_rules}): which header mutations from the processor are applied.
 *
 * <p>With the defaults (all false), as in Envoy: {@code :authority}, {@code host}, {@code :method}
 * and {@code :scheme} ("routing headers") and {@code x-envoy-*} headers may not be changed; pseudo
 * headers and {@code host} may never be removed; a refused mutation is silently ignored, unless
 * {@code disallowIsError}, which turns it into a local 500. Immutable and thread-safe.
 */
public record MutationRules(
    boolean allowAllRouting,
    boolean allowEnvoy,
    boolean disallowSystem,
    boolean disallowAll,
    boolean disallowIsError) {

  /** Envoy's defaults: everything false. */
  public static final MutationRules DEFAULTS = new MutationRules(false, false, false, false, false);

  /** Permissive rules Envoy uses for the headers of an {@code ImmediateResponse}. */
  static final MutationRules IMMEDIATE = new MutationRules(true, true, false, false, false);

  enum Operation {
    SET,
    APPEND,
    REMOVE
  }

  enum Result {
    OK,
    IGNORE,
    FAIL
  }

  /** The outcome of mutating header {@code lowerName}. */
  Result check(Operation op, String lowerName) {
    if (isAllowed(op, lowerName)) {
      return Result.OK;
    }
    return disallowIsError ? Result.FAIL : Result.IGNORE;
  }

  private boolean isAllowed(Operation op, String name) {
    if (op == Operation.REMOVE && (name.startsWith(":") || name.equals("host"))) {
      return false;
    }
    if (disallowAll) {
      return false;
    }
    boolean routing =
        name.equals("host")
            || name.equals(":authority")
            || name.equals(":method")
            || name.equals(":scheme");
    if (routing && !allowAllRouting) {
      return false;
    }
    if (disallowSystem && name.startsWith(":")) {
      return false;
    }
    return allowEnvoy || !name.startsWith("x-envoy-");
  }

  /** A copy with {@code allow_all_routing} set. */
  public MutationRules withAllowAllRouting(boolean value) {
    return new MutationRules(value, allowEnvoy, disallowSystem, disallowAll, disallowIsError);
  }

  /** A copy with {@code allow_envoy} set. */
  public MutationRules withAllowEnvoy(boolean value) {
    return new MutationRules(allowAllRouting, value, disallowSystem, disallowAll, disallowIsError);
  }

  /** A copy with {@code disallow_is_error} set. */
  public MutationRules withDisallowIsError(boolean value) {
    return new MutationRules(allowAllRouting, allowEnvoy, disallowSystem, disallowAll, value);
  }
}
