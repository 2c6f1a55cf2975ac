package io.keybrake.core.vendor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every kind of invalid vendor spec is one file under {@code fixtures/vendor-specs/invalid/}, its
 * first line {@code # expect: <text>}: loading it is refused with a message that starts with the
 * file's name and holds that text (the endpoint and the field at fault).
 */
class InvalidVendorSpecFixturesTest {
  private static final String EXPECT = "# expect: ";

  private static List<Path> fixtures() throws Exception {
    Path dir = dir();
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  private static Path dir() throws URISyntaxException {
    return Path.of(
        InvalidVendorSpecFixturesTest.class.getResource("/fixtures/vendor-specs/invalid").toURI());
  }

  @TestFactory
  Stream<DynamicTest> everyFixtureIsRefusedNamingTheProblem() throws Exception {
    return fixtures().stream()
        .map(
            file ->
                DynamicTest.dynamicTest(
                    file.getFileName().toString(),
                    () -> {
                      String first = Files.readAllLines(file, StandardCharsets.UTF_8).get(0);
                      assertThat(first).startsWith(EXPECT);
                      String expected = first.substring(EXPECT.length()).trim();
                      String source = "vendors/" + file.getFileName();
                      assertThatThrownBy(
                              () -> {
                                try (InputStream in = Files.newInputStream(file)) {
                                  VendorSpecParser.parse(in, source);
                                }
                              })
                          .isInstanceOf(IllegalArgumentException.class)
                          .hasMessageStartingWith(source + ": ")
                          .hasMessageContaining(expected);
                    }));
  }

  @Test
  void thereIsAFixturePerKindOfProblem() throws Exception {
    assertThat(fixtures()).hasSizeGreaterThanOrEqualTo(20);
  }

  @Test
  void theShippedSpecsLoad() {
    assertThat(VendorRegistry.loadDefault().ids()).contains("twilio", "stripe", "resend");
  }
}
