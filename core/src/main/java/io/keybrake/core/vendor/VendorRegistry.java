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

  private static VendorSpec load(String id) {
    String name = "vendors/" + id + ".yaml";
    InputStream in = VendorRegistry.class.getClassLoader().getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException("missing classpath resource " + name);
    }
    VendorSpec spec = VendorSpecParser.parse(in);
    if (!spec.id().equals(id)) {
      throw new IllegalStateException(name + " declares id " + spec.id());
    }
    return spec;
  }

  public Optional<VendorSpec> find(String id) {
    return Optional.ofNullable(vendors.get(id));
  }

  /** Every vendor, in registration order. */
  public Collection<VendorSpec> all() {
    return vendors.values();
  }
}
