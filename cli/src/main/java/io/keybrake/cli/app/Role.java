package io.keybrake.cli.app;

import java.util.EnumSet;
import java.util.Set;

/** What a Keybrake process serves. {@code keybrake up} runs them all. */
public enum Role {
  /** The ext_proc gRPC server Envoy calls (and gRPC health). */
  EXT_PROC,
  /** The local gateway on the HTTP port (vendor traffic without Envoy). */
  GATEWAY,
  /** The admin REST API on the HTTP port. */
  ADMIN,
  /** The xDS (ADS) server that tells Envoy what to do. */
  XDS;

  public static Set<Role> all() {
    return EnumSet.allOf(Role.class);
  }
}
