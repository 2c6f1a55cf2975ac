package io.keybrake.core.vendor;

import java.io.InputStream;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The vendors Keybrake knows, by id. An explicit list of spec files, not classpath scanning.
 * Immutable and thread-safe.
 */
public final class VendorRegistry {
  /** The shipped specs, under {@code vendors/} on the classpath. */
  public static final List<String> DEFAULT_SPECS = List.of("twilio", "stripe", "resend");

  private final Map<String, VendorSpec> vendors;

  private VendorRegistry(Map<String, VendorSpec> vendors) {
    this.vendors = vendors;
  }

  /** A registry of the given specs; ids must be distinct. */
  public static VendorRegistry of(Collection<VendorSpec> specs) {
    Map<String, VendorSpec> byId = new LinkedHashMap<>();
    for (VendorSpec s : specs) {
      if (byId.putIfAbsent(s.id(), s) != null) {
        throw new IllegalArgumentException("vendor " + s.id() + " is declared twice");
      }
    }
    return new VendorRegistry(Collections.unmodifiableMap(byId));
  }

  /** Twilio, Stripe and Resend from {@code vendors/*.yaml}, read once per class loader. */
  public static VendorRegistry loadDefault() {
    return Shipped.REGISTRY;
  }

  private static final class Shipped {
    static final VendorRegistry REGISTRY =
        of(DEFAULT_SPECS.stream().map(VendorRegistry::load).toList());
  }

  /**
   * This registry with {@code specs} added; a spec whose id is already known replaces that vendor
   * (an operator's own copy of a built-in spec). Ids among {@code specs} must be distinct.
   */
  public VendorRegistry withSpecs(Collection<VendorSpec> specs) {
    Map<String, VendorSpec> byId = new LinkedHashMap<>(vendors);
    java.util.Set<String> added = new java.util.HashSet<>();
    for (VendorSpec s : specs) {
      if (!added.add(s.id())) {
        throw new IllegalArgumentException("vendor " + s.id() + " is declared twice");
      }
      byId.put(s.id(), s);
    }
    return new VendorRegistry(Collections.unmodifiableMap(byId));
  }

  private static volatile VendorRegistry configured;

  /**
   * The registry this process was started with ({@link #configure}), else the shipped one. The
   * admin API and the settings read vendors through it, so a spec from {@code KEYBRAKE_VENDOR_DIR}
   * is known everywhere.
   */
  public static VendorRegistry configured() {
    VendorRegistry r = configured;
    return r == null ? loadDefault() : r;
  }

  /** Sets what {@link #configured()} returns; {@code null} goes back to the shipped registry. */
  public static void configure(VendorRegistry registry) {
    configured = registry;
  }

  private static VendorSpec load(String id) {
    String name = "vendors/" + id + ".yaml";
    InputStream in = VendorRegistry.class.getClassLoader().getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException("missing classpath resource " + name);
    }
    VendorSpec spec = VendorSpecParser.parse(in, name);
    if (!spec.id().equals(id)) {
      throw new IllegalStateException(name + " declares id " + spec.id());
    }
    return spec;
  }

  public Optional<VendorSpec> find(String id) {
    return Optional.ofNullable(vendors.get(id));
  }

  /** Every vendor id, in registration order. */
  public java.util.List<String> ids() {
    return List.copyOf(vendors.keySet());
  }

  /** Every vendor, in registration order. */
  public Collection<VendorSpec> all() {
    return vendors.values();
  }
}
