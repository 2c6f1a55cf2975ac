package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's 60-second tour, run by bash exactly as written against the built jar, except for the
 * port: {@code localhost:8080} becomes a free port (the tour's own advice when 8080 is taken), and
 * {@code ./keybrake} is a shim for {@code java -jar target/keybrake.jar}. Proves the tour needs no
 * vendor account, no sleeps and no typing of keys.
 */
class ReadmeTourIT {
  private static final Path README = Path.of("..", "README.md");
  private static final Path JAR = Path.of("target", "keybrake.jar").toAbsolutePath();

  @TempDir Path dir;

  @Test
  void theTourRunsVerbatimAndShowsWhatItPromises() throws Exception {
    int port = freePort();
    String tour =
        tourBlock()
            .replace("localhost:8080", "localhost:" + port)
            .replace(
                "./keybrake up --simulate &",
                "./keybrake up --simulate --http-port " + port + " --grpc-port 0 --xds-port 0 &");
    Path script = dir.resolve("tour.sh");
    // whatever happens, no keybrake is left running
    Files.writeString(script, "trap 'kill $(jobs -p) 2>/dev/null' EXIT\n" + tour);
    Path shim = dir.resolve("keybrake");
    Files.writeString(
        shim,
        "#!/bin/sh\nexec '"
            + Path.of(System.getProperty("java.home"), "bin", "java")
            + "' -jar '"
            + JAR
            + "' \"$@\"\n");
    Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwxr-xr-x"));

    Process bash =
        new ProcessBuilder("bash", script.toString())
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("tour.out").toFile())
            .start();
    boolean ended = bash.waitFor(5, TimeUnit.MINUTES);
    if (!ended) {
      bash.descendants().forEach(ProcessHandle::destroyForcibly);
      bash.destroyForcibly();
    }
    String out = Files.readString(dir.resolve("tour.out"));
    assertThat(ended).as("the tour ended; output:\n%s", out).isTrue();

    assertThat(count(out, "(local simulator, --simulate)")).as(out).isEqualTo(3);
    assertThat(count(out, "HTTP/1.1 201")).as("six sends answered 201\n%s", out).isEqualTo(6);
    assertThat(count(out, "x-keybrake-dedup: replay")).as("five replays\n%s", out).isEqualTo(5);
    assertThat(out)
        .contains("\"vault_key\":\"vault_key_")
        .contains("\"keybrake_code\":\"destination_not_allowed\"")
        .contains("\"spent_usd\":0.0083") // one message charged, five replays free
        .contains("\"status\":\"revoked\"")
        .contains("\"keybrake_code\":\"key_revoked\"")
        .containsPattern("audit chain intact: \\d+ rows verified");
  }

  /** The first {@code ```bash} block after the tour's heading. */
  private static String tourBlock() throws IOException {
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    Matcher m =
        Pattern.compile("## A 60-second tour.*?```bash\\n(.*?)```", Pattern.DOTALL).matcher(readme);
    assertThat(m.find()).as("README has the tour").isTrue();
    return m.group(1);
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) {
      n++;
    }
    return n;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
