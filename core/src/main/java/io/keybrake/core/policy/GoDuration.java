package io.keybrake.core.policy;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Go-style durations as the admin API writes them: {@code "24h"}, {@code "30m"}, {@code "90s"},
 * {@code "1h30m"}. Whole numbers of hours, minutes and seconds, each unit at most once and in that
 * order. Stateless and thread-safe.
 */
public final class GoDuration {
  private static final Pattern SHAPE =
      Pattern.compile("(?:(\\d{1,9})h)?(?:(\\d{1,9})m)?(?:(\\d{1,9})s)?");

  private GoDuration() {}

  /** The duration {@code text} names, or empty if it is not of the accepted shape. */
  public static Optional<Duration> parse(String text) {
    if (text == null || text.isEmpty()) {
      return Optional.empty();
    }
    Matcher m = SHAPE.matcher(text);
    if (!m.matches()) {
      return Optional.empty();
    }
    Duration d = Duration.ZERO;
    if (m.group(1) != null) {
      d = d.plusHours(Long.parseLong(m.group(1)));
    }
    if (m.group(2) != null) {
      d = d.plusMinutes(Long.parseLong(m.group(2)));
    }
    if (m.group(3) != null) {
      d = d.plusSeconds(Long.parseLong(m.group(3)));
    }
    return Optional.of(d);
  }

  /**
   * The text of a whole-second duration, e.g. {@code "24h"}, {@code "1h30m"}, {@code "90s"} →
   * {@code "1m30s"}; zero is {@code "0s"}. Fractions of a second are dropped.
   */
  public static String format(Duration d) {
    long seconds = d.getSeconds();
    if (seconds == 0) {
      return "0s";
    }
    StringBuilder b = new StringBuilder();
    long h = seconds / 3600;
    long m = (seconds % 3600) / 60;
    long s = seconds % 60;
    if (h > 0) {
      b.append(h).append('h');
    }
    if (m > 0) {
      b.append(m).append('m');
    }
    if (s > 0) {
      b.append(s).append('s');
    }
    return b.toString();
  }
}
