package io.keybrake.extproc.lookup;

import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.lookup.LookupResult;
import io.keybrake.core.lookup.ObjectLookup;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * {@link ObjectLookup} over HTTP: {@code GET base + path} with the real credential, as the vendor
 * spec injects it (Bearer for API keys, Basic for Twilio), against the vendor's API or the base URL
 * configured in its place ({@code KEYBRAKE_UPSTREAM_<VENDOR>}). It runs where the decision is made
 * (the ext_proc server, for Envoy and the local gateway alike), so Envoy mode looks objects up the
 * same way. Every call is bounded by {@code timeout}; answers over {@link #MAX_BODY_BYTES} are
 * failures. Never logs the credential, the path or the object. Thread-safe.
 */
public final class HttpObjectLookup implements ObjectLookup {
  /** The largest object read; Stripe objects are a few kilobytes. */
  static final int MAX_BODY_BYTES = 1 << 20;

  private final Map<String, URI> bases;
  private final Duration timeout;
  private final HttpClient http;

  /**
   * @param bases each vendor's API base URL
   * @param timeout the most one lookup may take, connection included
   */
  public HttpObjectLookup(Map<String, URI> bases, Duration timeout) {
    this.bases = Map.copyOf(bases);
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .version(HttpClient.Version.HTTP_1_1)
            .build();
  }

  @Override
  public LookupResult get(String vendor, VendorCredential credential, String path) {
    URI base = bases.get(vendor);
    if (base == null) {
      return new LookupResult.Unreachable("no upstream is configured for " + vendor);
    }
    if (!path.startsWith("/") || path.contains("?") || path.contains("#")) {
      return new LookupResult.Unreachable("not a lookup path");
    }
    java.util.Optional<io.keybrake.core.vendor.VendorSpec> spec =
        io.keybrake.core.vendor.VendorRegistry.configured().find(vendor);
    if (spec.isEmpty()) {
      return new LookupResult.Unreachable("no spec for vendor " + vendor);
    }
    String root = base.toString().replaceAll("/+$", "");
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(root + path)).timeout(timeout);
    // the credential where the vendor's spec injects it (headers only: lookups have no template)
    for (Map.Entry<String, String> h :
        io.keybrake.core.key.CredentialInjection.headers(spec.get(), credential)) {
      builder.header(h.getKey(), h.getValue());
    }
    HttpRequest request = builder.header("Accept", "application/json").GET().build();
    try {
      HttpResponse<InputStream> resp =
          http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = resp.body()) {
        byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
        if (body.length > MAX_BODY_BYTES) {
          return new LookupResult.Unreachable("the object is larger than " + MAX_BODY_BYTES);
        }
        return new LookupResult.Answered(resp.statusCode(), body);
      }
    } catch (IOException e) {
      return new LookupResult.Unreachable(e.getClass().getSimpleName());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new LookupResult.Unreachable("interrupted");
    }
  }
}
