package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.cli.it.hostile.HostileCase;
import io.keybrake.cli.it.hostile.HostileCase.Expected;
import io.keybrake.cli.it.hostile.HostileCase.KeyRole;
import io.keybrake.cli.it.hostile.HostileTables;
import io.keybrake.harness.sim.RecordedRequest;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hostile-input suite: every row of {@link HostileTables} is sent byte for byte to a running
 * gateway in front of the three vendor simulators. A refused row must get its status and code, no
 * simulator may receive anything, and no key's spend (spent or reserved) may move; a legitimate row
 * must reach its vendor exactly once, as the row says.
 */
class HostileInputIT {
  @TempDir static Path dir;
  static Gateway gw;
  static final Map<KeyRole, Gateway.Key> KEYS = new EnumMap<>(KeyRole.class);
  private static final Pattern TOKEN = Pattern.compile("\\{([a-zA-Z0-9._:-]*)}");

  @BeforeAll
  static void start() throws Exception {
    gw = new Gateway(dir);
    String common = "\"daily_usd_cap\":1000,\"dedup_window_seconds\":0";
    KEYS.put(
        KeyRole.TWILIO_US,
        gw.createTwilioKey(
            "{" + common + ",\"allowed_prefixes\":[\"+1\"],\"allowed_countries\":[\"US\"]}"));
    KEYS.put(
        KeyRole.TWILIO_TWIML_URLS,
        gw.createTwilioKey(
            "{"
                + common
                + ",\"allowed_prefixes\":[\"+1\"],\"allowed_countries\":[\"US\"],"
                + "\"allowed_twiml_urls\":[\"https://hooks.example.com/twiml/\"]}"));
    KEYS.put(
        KeyRole.STRIPE,
        gw.createStripeKey("{" + common + ",\"allowed_accounts\":[\"acct_allowed001\"]}"));
    KEYS.put(
        KeyRole.RESEND,
        gw.createResendKey("{" + common + ",\"allowed_prefixes\":[\"@example.com\"]}"));
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  static Stream<Arguments> rows() {
    return HostileTables.all().stream().map(c -> Arguments.of(Named.of(c.toString(), c)));
  }

  @Test
  void theTablesHoldAtLeastThreeHundredDistinctRows() {
    List<HostileCase> all = HostileTables.all();
    Set<String> names = new HashSet<>();
    for (HostileCase c : all) {
      assertThat(names.add(c.toString())).as("duplicate row " + c).isTrue();
    }
    assertThat(all).hasSizeGreaterThanOrEqualTo(300);
  }

  @Test
  void aUrlCallWithoutAllowedTwimlUrlsIsRefusedSayingWhy() throws Exception {
    Gateway.Key key = KEYS.get(KeyRole.TWILIO_US);
    var r =
        gw.postForm(
            "/twilio/2010-04-01/Accounts/" + key.vaultKey() + "/Calls.json",
            Gateway.basic(key.vaultKey(), "x"),
            "To=%2B14155552671&From=%2B15005550006&Url=https%3A%2F%2Fhooks.example.com%2Ft.xml");

    assertThat(r.statusCode()).isEqualTo(403);
    JsonNode body = gw.body(r);
    assertThat(body.get("keybrake_code").asText()).isEqualTo("destination_not_allowed");
    assertThat(body.get("message").asText())
        .contains("Url hands the call to TwiML")
        .contains("Keybrake cannot see")
        .contains("allowed_twiml_urls");
    assertThat(gw.twilio.received()).noneMatch(q -> q.method().equals("POST"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void hostileInputIsRefusedOrReachesTheVendorExactlyAsMeant(HostileCase row) throws Exception {
    // The price reconciler settles earlier Twilio calls in the background; its runOnce is
    // synchronized, so holding its monitor keeps it from moving spend during this row.
    synchronized (gw.app.reconciler()) {
      sendAndCheck(row);
    }
  }

  private void sendAndCheck(HostileCase row) throws Exception {
    gw.twilio.clear();
    gw.stripe.clear();
    gw.resend.clear();
    BigDecimal before = totalSpend();

    List<Map.Entry<String, String>> headers = new ArrayList<>();
    for (Map.Entry<String, String> h : row.request().headers()) {
      headers.add(Map.entry(h.getKey(), resolveHeader(h.getValue(), row.key())));
    }
    RawHttp.Answer answer =
        RawHttp.send(
            gw.app.httpPort(),
            row.request().method(),
            resolve(row.request().path(), row.key()),
            headers,
            row.request().body());

    if (row.expected() instanceof Expected.Refused refused) {
      assertThat(answer.status()).as(row + ": " + answer.bodyText()).isEqualTo(refused.status());
      if (refused.code() != null) {
        JsonNode body = gw.json.readTree(answer.body());
        JsonNode code = body.has("keybrake_code") ? body.get("keybrake_code") : body.get("code");
        assertThat(code.asText()).as(row + ": " + answer.bodyText()).isEqualTo(refused.code());
        assertThat(body.get("message").asText()).isNotBlank();
      }
      assertThat(received()).as(row + ": what the vendors received").isEmpty();
      assertThat(totalSpend()).as("spent + reserved over every key").isEqualByComparingTo(before);
    } else {
      Expected.Forwarded forwarded = (Expected.Forwarded) row.expected();
      assertThat(answer.status()).as(row + ": " + answer.bodyText()).isBetween(200, 299);
      List<RecordedRequest> got = received();
      assertThat(got).as(row + ": what the vendors received").hasSize(1);
      assertThat(vendorOf(got.get(0))).isEqualTo(vendorOf(row.key()));
      try {
        forwarded.check().check(got.get(0));
      } catch (AssertionError e) {
        throw new AssertionError(row + ": " + e.getMessage(), e);
      }
      for (Map.Entry<String, String> h : got.get(0).headers()) {
        assertThat(h.getKey().toLowerCase(java.util.Locale.ROOT))
            .doesNotStartWith("x-envoy-")
            .doesNotStartWith("x-keybrake-")
            .isNotIn("proxy-authorization", "x-admin-key", "cookie", "accept-encoding");
      }
    }
  }

  private static List<RecordedRequest> received() {
    List<RecordedRequest> all = new ArrayList<>();
    all.addAll(gw.twilio.received());
    all.addAll(gw.stripe.received());
    all.addAll(gw.resend.received());
    return all;
  }

  private static String vendorOf(KeyRole role) {
    return switch (role) {
      case TWILIO_US, TWILIO_TWIML_URLS -> "twilio";
      case STRIPE -> "stripe";
      case RESEND -> "resend";
    };
  }

  private static String vendorOf(RecordedRequest r) {
    if (gw.twilio.received().contains(r)) {
      return "twilio";
    }
    return gw.stripe.received().contains(r) ? "stripe" : "resend";
  }

  private static BigDecimal totalSpend() throws Exception {
    BigDecimal sum = BigDecimal.ZERO;
    for (Gateway.Key k : KEYS.values()) {
      JsonNode s = gw.spend(k.id());
      sum = sum.add(s.get("spent_usd").decimalValue()).add(s.get("reserved_usd").decimalValue());
    }
    return sum;
  }

  private static String token(String name, KeyRole role) {
    return switch (name) {
      case "vault" -> KEYS.get(role).vaultKey();
      case "twilio-sid" -> Gateway.TWILIO_SID;
      case "twilio-token" -> Gateway.TWILIO_TOKEN;
      case "stripe-secret" -> Gateway.STRIPE_KEY;
      case "resend-secret" -> Gateway.RESEND_KEY;
      default ->
          name.startsWith("vault.")
              ? KEYS.get(KeyRole.valueOf(name.substring("vault.".length()))).vaultKey()
              : name;
    };
  }

  private static String resolve(String text, KeyRole role) {
    Matcher m = TOKEN.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(token(m.group(1), role)));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String resolveHeader(String value, KeyRole role) {
    if (value.startsWith("{basic:") && value.endsWith("}")) {
      String[] parts = value.substring("{basic:".length(), value.length() - 1).split(":", -1);
      String pair = token(parts[0], role) + ":" + token(parts[1], role);
      return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }
    return resolve(value, role);
  }
}
