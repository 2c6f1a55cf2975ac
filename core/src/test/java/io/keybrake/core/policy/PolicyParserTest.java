package io.keybrake.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyParserTest {
  private static final ObjectMapper EXACT =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private static JsonNode json(String text) throws JsonProcessingException {
    return EXACT.readTree(text.replace('\'', '"'));
  }

  private static Policy ok(String text) throws JsonProcessingException {
    PolicyParser.Parsed parsed = PolicyParser.parse(json(text));
    assertThat(parsed).isInstanceOf(PolicyParser.Parsed.Ok.class);
    return ((PolicyParser.Parsed.Ok) parsed).policy();
  }

  private static PolicyParser.Parsed.Invalid invalid(String text) throws JsonProcessingException {
    PolicyParser.Parsed parsed = PolicyParser.parse(json(text));
    assertThat(parsed).isInstanceOf(PolicyParser.Parsed.Invalid.class);
    return (PolicyParser.Parsed.Invalid) parsed;
  }

  @Test
  void documentedPolicyParsesWithDefaults() throws Exception {
    Policy p =
        ok(
            "{'daily_usd_cap':50,'allowed_prefixes':['+1'],'dedup_window_seconds':60,"
                + "'expires_in':'24h'}");

    assertThat(p.dailyCapMicros()).isEqualTo(50_000_000);
    assertThat(p.totalCapMicros()).isEmpty();
    assertThat(p.allowedPrefixes()).containsExactly("+1");
    assertThat(p.allowedCountries()).isEmpty();
    assertThat(p.allowedEndpoints()).isEmpty();
    assertThat(p.dedupWindow()).isEqualTo(Duration.ofSeconds(60));
    assertThat(p.expiresIn()).contains(Duration.ofHours(24));
    assertThat(p.maxCallSeconds()).isEqualTo(600);
    assertThat(p.allowPremium()).isFalse();
    assertThat(p.timeZone()).isEqualTo(ZoneOffset.UTC);
  }

  @Test
  void minimalPolicyGetsDocumentedDefaults() throws Exception {
    Policy p = ok("{'daily_usd_cap':1}");
    assertThat(p.dedupWindow()).isEqualTo(Duration.ofSeconds(60));
    assertThat(p.maxCallSeconds()).isEqualTo(600);
    assertThat(p.expiresIn()).isEmpty();
  }

  @Test
  void everyFieldIsRead() throws Exception {
    Policy p =
        ok(
            "{'daily_usd_cap':12.345678,'total_usd_cap':100.5,'allowed_prefixes':['+1','+44','+1'],"
                + "'allowed_countries':['us','GB'],'allowed_endpoints':['messages.create',"
                + "'POST /v1/refunds'],'dedup_window_seconds':0,'expires_in':'1h30m',"
                + "'max_call_seconds':14400,'allow_premium':true,'time_zone':'America/New_York'}");

    assertThat(p.dailyCapMicros()).isEqualTo(12_345_678);
    assertThat(p.totalCapMicros()).hasValue(100_500_000);
    assertThat(p.allowedPrefixes()).containsExactly("+1", "+44");
    assertThat(p.allowedCountries()).containsExactly("US", "GB");
    assertThat(p.allowedEndpoints()).containsExactly("messages.create", "POST /v1/refunds");
    assertThat(p.dedupWindow()).isZero();
    assertThat(p.expiresIn()).contains(Duration.ofMinutes(90));
    assertThat(p.maxCallSeconds()).isEqualTo(14_400);
    assertThat(p.allowPremium()).isTrue();
    assertThat(p.timeZone()).isEqualTo(ZoneId.of("America/New_York"));
  }

  @Test
  void decimalCapsAreExactEvenFromDoubles() throws Exception {
    assertThat(ok("{'daily_usd_cap':0.1}").dailyCapMicros()).isEqualTo(100_000);
    // a mapper without BigDecimal floats hands over a double; 0.1 must still be 100000 micros
    JsonNode fromDouble = new ObjectMapper().readTree("{\"daily_usd_cap\":0.1}");
    PolicyParser.Parsed parsed = PolicyParser.parse(fromDouble);
    assertThat(((PolicyParser.Parsed.Ok) parsed).policy().dailyCapMicros()).isEqualTo(100_000);
  }

  @Test
  void hugeDoublesAreInvalidNotFaults() throws Exception {
    JsonNode infinite = new ObjectMapper().readTree("{\"daily_usd_cap\":1e400}");
    PolicyParser.Parsed parsed = PolicyParser.parse(infinite);
    assertThat(parsed).isInstanceOf(PolicyParser.Parsed.Invalid.class);
    assertThat(((PolicyParser.Parsed.Invalid) parsed).field()).isEqualTo("daily_usd_cap");
    JsonNode bigWindow =
        new ObjectMapper().readTree("{\"daily_usd_cap\":1,\"dedup_window_seconds\":1e300}");
    assertThat(((PolicyParser.Parsed.Invalid) PolicyParser.parse(bigWindow)).field())
        .isEqualTo("dedup_window_seconds");
  }

  @Test
  void nullOptionalFieldsMeanAbsent() throws Exception {
    Policy p = ok("{'daily_usd_cap':5,'total_usd_cap':null,'expires_in':null,'time_zone':null}");
    assertThat(p.totalCapMicros()).isEmpty();
    assertThat(p.expiresIn()).isEmpty();
    assertThat(p.timeZone()).isEqualTo(ZoneOffset.UTC);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{}                                                      | daily_usd_cap",
        "{'daily_usd_cap':null}                                  | daily_usd_cap",
        "{'daily_usd_cap':0}                                     | daily_usd_cap",
        "{'daily_usd_cap':-5}                                    | daily_usd_cap",
        "{'daily_usd_cap':'50'}                                  | daily_usd_cap",
        "{'daily_usd_cap':0.0000001}                             | daily_usd_cap",
        "{'daily_usd_cap':1e12}                                  | daily_usd_cap",
        "{'daily_usd_cap':5,'total_usd_cap':0}                   | total_usd_cap",
        "{'daily_usd_cap':5,'total_usd_cap':true}                | total_usd_cap",
        "{'daily_usd_cap':5,'allowed_prefixes':'+1'}             | allowed_prefixes",
        "{'daily_usd_cap':5,'allowed_prefixes':['1']}            | allowed_prefixes",
        "{'daily_usd_cap':5,'allowed_prefixes':['+1a']}          | allowed_prefixes",
        "{'daily_usd_cap':5,'allowed_prefixes':['+']}            | allowed_prefixes",
        "{'daily_usd_cap':5,'allowed_prefixes':['@']}            | allowed_prefixes",
        "{'daily_usd_cap':5,'allowed_prefixes':['example.com']}  | allowed_prefixes",
        "{'daily_usd_cap':5,'allowed_prefixes':['@localhost']}   | allowed_prefixes",
        "{'daily_usd_cap':5,'allowed_prefixes':[1]}              | allowed_prefixes",
        "{'daily_usd_cap':5,'allowed_countries':['XX']}          | allowed_countries",
        "{'daily_usd_cap':5,'allowed_countries':['USA']}         | allowed_countries",
        "{'daily_usd_cap':5,'allowed_endpoints':['']}            | allowed_endpoints",
        "{'daily_usd_cap':5,'allowed_endpoints':{}}              | allowed_endpoints",
        "{'daily_usd_cap':5,'dedup_window_seconds':-1}           | dedup_window_seconds",
        "{'daily_usd_cap':5,'dedup_window_seconds':86401}        | dedup_window_seconds",
        "{'daily_usd_cap':5,'dedup_window_seconds':1.5}          | dedup_window_seconds",
        "{'daily_usd_cap':5,'dedup_window_seconds':'60'}         | dedup_window_seconds",
        "{'daily_usd_cap':5,'expires_in':'0h'}                   | expires_in",
        "{'daily_usd_cap':5,'expires_in':'1d'}                   | expires_in",
        "{'daily_usd_cap':5,'expires_in':'30m1h'}                | expires_in",
        "{'daily_usd_cap':5,'expires_in':'-1h'}                  | expires_in",
        "{'daily_usd_cap':5,'expires_in':''}                     | expires_in",
        "{'daily_usd_cap':5,'expires_in':3600}                   | expires_in",
        "{'daily_usd_cap':5,'expires_in':'8785h'}                | expires_in",
        "{'daily_usd_cap':5,'max_call_seconds':0}                | max_call_seconds",
        "{'daily_usd_cap':5,'max_call_seconds':14401}            | max_call_seconds",
        "{'daily_usd_cap':5,'allow_premium':'yes'}               | allow_premium",
        "{'daily_usd_cap':5,'time_zone':'Mars/Olympus'}          | time_zone",
        "{'daily_usd_cap':5,'time_zone':'Europe/Nowhere'}         | time_zone",
        "{'daily_usd_cap':5,'time_zone':5}                       | time_zone",
        "{'daily_usd_cap':5,'daily_usd_cop':5}                   | daily_usd_cop",
        "{'daily_usd_cap':5,'dedup_window':60}                   | dedup_window",
        "[]                                                      | policy",
      })
  void invalidPolicyNamesTheField(String text, String field) throws Exception {
    PolicyParser.Parsed.Invalid bad = invalid(text.strip());
    assertThat(bad.field()).isEqualTo(field);
    assertThat(bad.message()).startsWith(field + " ");
  }

  @Test
  void nullNodeIsInvalid() {
    assertThat(PolicyParser.parse(null)).isInstanceOf(PolicyParser.Parsed.Invalid.class);
  }

  @Test
  void largestExpiryIsAccepted() throws Exception {
    assertThat(ok("{'daily_usd_cap':5,'expires_in':'8784h'}").expiresIn())
        .contains(Duration.ofDays(366));
  }

  @Test
  void toJsonGivesTheSameShapeWithExactNumbers() throws Exception {
    Policy p =
        new Policy(
            50_000_000,
            OptionalLong.of(7_900),
            List.of("+1"),
            List.of("US"),
            List.of(),
            Duration.ofSeconds(60),
            Optional.of(Duration.ofSeconds(5400)),
            600,
            false,
            ZoneOffset.UTC);

    String text =
        new ObjectMapper()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .writeValueAsString(PolicyParser.toJson(p));

    assertThat(text)
        .isEqualTo(
            "{\"daily_usd_cap\":50.00,\"total_usd_cap\":0.0079,\"allowed_prefixes\":[\"+1\"],"
                + "\"allowed_countries\":[\"US\"],\"allowed_endpoints\":[],"
                + "\"dedup_window_seconds\":60,\"expires_in\":\"1h30m\",\"max_call_seconds\":600,"
                + "\"allow_premium\":false,\"time_zone\":\"UTC\",\"allowed_twiml_urls\":[],\"allowed_accounts\":[]}");
  }

  @Test
  void toJsonRoundTrips() throws Exception {
    Policy p =
        ok(
            "{'daily_usd_cap':12.345678,'total_usd_cap':100,'allowed_prefixes':['+1'],"
                + "'allowed_countries':['gb'],'allowed_endpoints':['x'],'dedup_window_seconds':5,"
                + "'expires_in':'90s','max_call_seconds':60,'allow_premium':true,"
                + "'time_zone':'Europe/Paris'}");
    String text = EXACT.writeValueAsString(PolicyParser.toJson(p));

    assertThat(ok(text.replace('"', '\''))).isEqualTo(p);
    assertThat(ok("{'daily_usd_cap':1}"))
        .isEqualTo(
            ((PolicyParser.Parsed.Ok)
                    PolicyParser.parse(PolicyParser.toJson(ok("{'daily_usd_cap':1}"))))
                .policy());
  }

  @Test
  void goDurationsParseAndFormat() {
    assertThat(GoDuration.parse("24h")).contains(Duration.ofHours(24));
    assertThat(GoDuration.parse("8h")).contains(Duration.ofHours(8));
    assertThat(GoDuration.parse("30m")).contains(Duration.ofMinutes(30));
    assertThat(GoDuration.parse("90s")).contains(Duration.ofSeconds(90));
    assertThat(GoDuration.parse("1h30m")).contains(Duration.ofMinutes(90));
    assertThat(GoDuration.parse("1h0m5s")).contains(Duration.ofSeconds(3605));
    assertThat(GoDuration.parse("h")).isEmpty();
    assertThat(GoDuration.parse("1.5h")).isEmpty();
    assertThat(GoDuration.parse("24H")).isEmpty();
    assertThat(GoDuration.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThat(GoDuration.format(Duration.ofHours(24))).isEqualTo("24h");
    assertThat(GoDuration.format(Duration.ofSeconds(3605))).isEqualTo("1h5s");
    assertThat(GoDuration.format(Duration.ZERO)).isEqualTo("0s");
  }

  @Test
  void emailDomainsAreAllowedPrefixesForResendKeys() throws Exception {
    PolicyParser.Parsed parsed =
        PolicyParser.parse(
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"@Example.COM\",\"+1\"]}"));
    org.assertj.core.api.Assertions.assertThat(parsed)
        .isInstanceOfSatisfying(
            PolicyParser.Parsed.Ok.class,
            ok ->
                org.assertj.core.api.Assertions.assertThat(ok.policy().allowedPrefixes())
                    .containsExactly("@example.com", "+1"));
  }

  @Test
  void maxCallUsdIsAnExactPerCallLimitShownBackAsGiven() throws Exception {
    Policy p = ok("{\"daily_usd_cap\":100,\"max_call_usd\":25.5}");
    assertThat(p.maxCallMicros()).hasValue(25_500_000L);
    assertThat(PolicyParser.toJson(p).get("max_call_usd").decimalValue())
        .isEqualByComparingTo("25.5");
    assertThat(ok("{\"daily_usd_cap\":100}").maxCallMicros()).isEmpty();
    for (String bad : List.of("0", "-1", "\"5\"", "0.0000001", "true")) {
      assertThat(invalid("{\"daily_usd_cap\":100,\"max_call_usd\":" + bad + "}").field())
          .isEqualTo("max_call_usd");
    }
  }
}
