package io.keybrake.cli.it.hostile;

import io.keybrake.harness.sim.RecordedRequest;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One row of the hostile-input suite: a request an agent (or an attacker holding a vault key) could
 * send, the key it is sent with, and what must happen. Path, header values and credentials may hold
 * placeholders that the suite resolves against the running gateway: {@code {vault}} is the vault
 * key of the row's key, {@code {vault.STRIPE}} that of another key role, {@code {twilio-sid}},
 * {@code {twilio-token}}, {@code {stripe-secret}}, {@code {resend-secret}} the real vendor
 * credentials; a header value {@code {basic:USER:PASSWORD}} is a Basic credential of two such
 * tokens. Immutable.
 *
 * @param area the table the row comes from, e.g. {@code "twiml"}
 * @param name what the row tries, unique within its area
 * @param key the key whose policy applies
 * @param request what is sent, byte for byte
 * @param expected the refusal, or what the vendor must receive
 */
public record HostileCase(
    String area, String name, KeyRole key, HostileRequest request, Expected expected) {
  public HostileCase {
    Objects.requireNonNull(area);
    Objects.requireNonNull(name);
    Objects.requireNonNull(key);
    Objects.requireNonNull(request);
    Objects.requireNonNull(expected);
  }

  @Override
  public String toString() {
    return area + ": " + name;
  }

  /** The keys the suite creates, one per policy shape the tables need. */
  public enum KeyRole {
    /** Twilio, {@code allowed_prefixes ["+1"]}, {@code allowed_countries ["US"]}. */
    TWILIO_US,
    /**
     * As {@link #TWILIO_US}, with {@code allowed_twiml_urls ["https://hooks.example.com/twiml/"]}.
     */
    TWILIO_TWIML_URLS,
    /** Stripe, {@code allowed_accounts ["acct_allowed001"]}. */
    STRIPE,
    /** Resend, {@code allowed_prefixes ["@example.com"]}. */
    RESEND
  }

  /** A request exactly as sent: header order and repeats are kept; the body is raw bytes. */
  public record HostileRequest(
      String method, String path, List<Map.Entry<String, String>> headers, byte[] body) {
    public HostileRequest {
      headers = List.copyOf(headers);
      body = body.clone();
    }

    @Override
    public byte[] body() {
      return body.clone();
    }
  }

  /** What the suite asserts. */
  public sealed interface Expected {
    /**
     * Refused with {@code status} and Keybrake's {@code code} ({@code keybrake_code} for Twilio
     * keys); no vendor simulator receives anything and no spend moves. A null {@code code} means
     * the HTTP layer refuses the request before Keybrake reads it (only {@code status} is checked).
     */
    record Refused(int status, String code) implements Expected {}

    /**
     * Forwarded: the key's vendor simulator receives exactly one request, which {@code check}
     * accepts; the other simulators receive nothing.
     */
    record Forwarded(VendorCheck check) implements Expected {}
  }

  /** An assertion on what the vendor received; throws {@link AssertionError} when it is wrong. */
  @FunctionalInterface
  public interface VendorCheck {
    void check(RecordedRequest received);
  }
}
