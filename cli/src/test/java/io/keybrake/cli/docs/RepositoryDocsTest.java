package io.keybrake.cli.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What a user reads stays inside the repository: every relative Markdown link resolves to a file of
 * the repository, and no page points at design notes kept elsewhere.
 */
class RepositoryDocsTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)#\\s]+)(#[^)]*)?\\)");

  @Test
  void everyRelativeLinkInTheDocsResolvesInsideTheRepository() throws IOException {
    List<String> broken = new ArrayList<>();
    for (Path page : markdownPages()) {
      Matcher m = LINK.matcher(Files.readString(page));
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^[a-z]+:.*")) {
          continue; // https:, mailto:: an address, not a file
        }
        Path resolved = page.getParent().resolve(target).normalize();
        if (!resolved.startsWith(ROOT) || !Files.exists(resolved)) {
          broken.add(ROOT.relativize(page) + " → " + target);
        }
      }
    }
    assertThat(broken).isEmpty();
  }

  @Test
  void noPagePointsOutsideTheRepository() throws IOException {
    List<String> outside = new ArrayList<>();
    for (Path page : markdownPages()) {
      String text = Files.readString(page);
      for (String pointer : List.of("../shared", "DESIGN.md", "STYLE.md", "/work/")) {
        if (text.contains(pointer)) {
          outside.add(ROOT.relativize(page) + " mentions " + pointer);
        }
      }
    }
    assertThat(outside).isEmpty();
  }

  @Test
  void theArchitectureIsInTheRepository() {
    assertThat(ROOT.resolve("docs/architecture.md")).isRegularFile();
    assertThat(ROOT.resolve("README.md")).content().contains("docs/architecture.md");
  }

  private static List<Path> markdownPages() throws IOException {
    try (Stream<Path> paths = Files.walk(ROOT)) {
      List<Path> pages =
          paths
              .filter(p -> p.toString().endsWith(".md"))
              .filter(
                  p -> {
                    String rel = ROOT.relativize(p).toString();
                    return !rel.startsWith(".")
                        && !rel.contains("/target/")
                        && !rel.startsWith("target/")
                        && !rel.contains("node_modules");
                  })
              .toList();
      assertThat(pages).as("the repository's Markdown pages").isNotEmpty();
      return pages;
    }
  }
}
