package io.keybrake.store.postgres;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * {@code PostgresUrls} accepts {@code KEYBRAKE_POSTGRES_URL} in either common form: a JDBC URL
 * ({@code jdbc:postgresql://host:5432/db?user=…}), kept as it is, or a libpq URI ({@code
 * postgres://user:password@host:5432/db?sslmode=require}), turned into the JDBC form. Errors never
 * repeat the URL, which may hold a password. Stateless and thread-safe.
 */
public final class PostgresUrls {
  private PostgresUrls() {}

  /**
   * The JDBC URL for {@code url}.
   *
   * @throws IllegalArgumentException the value is neither form
   */
  public static String toJdbc(String url) {
    if (url.startsWith("jdbc:postgresql:")) {
      return url;
    }
    if (!url.startsWith("postgres://") && !url.startsWith("postgresql://")) {
      throw new IllegalArgumentException(
          "the PostgreSQL URL must start with jdbc:postgresql:, postgres:// or postgresql://");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("the PostgreSQL URL is malformed");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("the PostgreSQL URL names no host");
    }
    StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(uri.getHost());
    if (uri.getPort() >= 0) {
      jdbc.append(':').append(uri.getPort());
    }
    String path = uri.getRawPath();
    jdbc.append(path == null || path.isEmpty() ? "/" : path);
    String glue = "?";
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      jdbc.append(glue).append("user=").append(reencode(parts[0]));
      glue = "&";
      if (parts.length == 2) {
        jdbc.append("&password=").append(reencode(parts[1]));
      }
    }
    if (uri.getRawQuery() != null && !uri.getRawQuery().isEmpty()) {
      jdbc.append(glue).append(uri.getRawQuery());
    }
    return jdbc.toString();
  }

  /**
   * {@code host:port/database} of a JDBC URL, without its user, password or parameters (for
   * messages).
   */
  public static String where(String jdbcUrl) {
    String rest = jdbcUrl.replaceFirst("^jdbc:postgresql:(//)?", "");
    int q = rest.indexOf('?');
    return q >= 0 ? rest.substring(0, q) : rest;
  }

  private static String reencode(String raw) {
    return URLEncoder.encode(
        URLDecoder.decode(raw, StandardCharsets.UTF_8), StandardCharsets.UTF_8);
  }
}
