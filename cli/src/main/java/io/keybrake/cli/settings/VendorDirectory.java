package io.keybrake.cli.settings;

import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import io.keybrake.core.vendor.VendorSpecParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code KEYBRAKE_VENDOR_DIR}: a directory of vendor spec files ({@code *.yaml}, {@code *.yml})
 * read at start, on top of the specs built into the jar. A spec with a built-in vendor's id
 * replaces it; a spec that does not load is a start-up problem naming the file. Stateless.
 */
public final class VendorDirectory {
  public static final String ENV = "KEYBRAKE_VENDOR_DIR";

  private VendorDirectory() {}

  /** The built-in vendors plus the directory's, or the built-ins when the variable is not set. */
  public static VendorRegistry load(Map<String, String> env, List<String> problems) {
    VendorRegistry builtIn = VendorRegistry.loadDefault();
    String dir = env.get(ENV);
    if (dir == null || dir.isBlank()) {
      return builtIn;
    }
    Path path = Path.of(dir.trim());
    if (!Files.isDirectory(path)) {
      problems.add(ENV + " must be a directory of vendor spec files, not '" + dir + "'");
      return builtIn;
    }
    List<Path> files;
    try (Stream<Path> list = Files.list(path)) {
      files =
          list.filter(
                  p -> {
                    String n = p.getFileName().toString();
                    return n.endsWith(".yaml") || n.endsWith(".yml");
                  })
              .sorted()
              .toList();
    } catch (IOException e) {
      problems.add(ENV + ": cannot list " + path + ": " + e.getMessage());
      return builtIn;
    }
    List<VendorSpec> specs = new ArrayList<>();
    for (Path f : files) {
      try (InputStream in = Files.newInputStream(f)) {
        specs.add(VendorSpecParser.parse(in, f.toString()));
      } catch (IllegalArgumentException e) {
        problems.add(ENV + ": " + e.getMessage());
      } catch (IOException | java.io.UncheckedIOException e) {
        problems.add(ENV + ": cannot read " + f + ": " + e.getMessage());
      }
    }
    try {
      return builtIn.withSpecs(specs);
    } catch (IllegalArgumentException e) {
      problems.add(ENV + ": " + e.getMessage());
      return builtIn;
    }
  }
}
