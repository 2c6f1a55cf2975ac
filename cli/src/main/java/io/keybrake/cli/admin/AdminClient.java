package io.keybrake.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A client of the admin API ({@code X-Admin-Key}, JSON in and out). Thread-safe. */
final class AdminClient {
  static final ObjectMapper JSON = new ObjectMapper();

  /** An answer: its status and JSON body ({@code null} node when the body is not JSON). */
  record Answer(int status, JsonNode body) {
    boolean ok() {
      return status >= 200 && status < 300;
    }

    /** {@code code: message} of an error body, else the status. */
    String error() {
      if (body.has("code")) {
        return body.path("code").asText() + ": " + body.path("message").asText();
      }
      return "HTTP " + status;
    }

    int exitCode() {
      return ok() ? Exit.OK : status == 404 ? Exit.NOT_FOUND : Exit.FAILED;
    }
  }

  /** The admin API did not answer. */
  static final class Unreachable extends Exception {
    Unreachable(String message) {
      super(message);
    }
  }

  private final URI base;
  private final String adminKey;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  AdminClient(URI base, String adminKey) {
    this.base = base;
    this.adminKey = adminKey;
  }

  Answer get(String path) throws Unreachable {
    return send("GET", path, null);
  }

  Answer post(String path, JsonNode body) throws Unreachable {
    return send("POST", path, body);
  }

  Answer delete(String path) throws Unreachable {
    return send("DELETE", path, null);
  }

  static String encode(String v) {
    return URLEncoder.encode(v, StandardCharsets.UTF_8);
  }

  private Answer send(String method, String path, JsonNode body) throws Unreachable {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(30))
            .header("X-Admin-Key", adminKey)
            .header("Accept", "application/json");
    if (body != null) {
      b.header("Content-Type", "application/json");
      b.method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode node;
      try {
        node = r.body().isBlank() ? NullNode.getInstance() : JSON.readTree(r.body());
      } catch (IOException e) {
        node = NullNode.getInstance();
      }
      return new Answer(r.statusCode(), node);
    } catch (IOException e) {
      throw new Unreachable("cannot reach the admin API at " + base + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unreachable("interrupted");
    }
  }
}
