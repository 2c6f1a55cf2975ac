package io.keybrake.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.LocalTime;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GuardFieldsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static PolicyParser.Parsed parse(String json) throws Exception {
    return PolicyParser.parse(JSON.readTree(json));
  }

  @Test
  void guardFieldsRoundTripThroughTheAdminForm() throws Exception {
    String json =
        "{\"daily_usd_cap\":50,\"max_calls_per_destination\":20,"
            + "\"max_identical_calls_per_hour\":3,\"max_usd_per_minute\":1.5,"
            + "\"loop_action\":\"suspend\",\"mode\":\"shadow\","
            + "\"allowed_hours\":{\"from\":\"08:00\",\"to\":\"21:00\",\"time_zone\":\"America/Chicago\"}}";
    Policy p = ((PolicyParser.Parsed.Ok) parse(json)).policy();
    PolicyGuards g = p.guards();
    assertThat(g.maxCallsPerDestination()).hasValue(20);
    assertThat(g.maxIdenticalCalls()).hasValue(3);
    assertThat(g.maxUsdPerMinuteMicros()).hasValue(1_500_000);
    assertThat(g.loopAction()).isEqualTo(PolicyGuards.LoopAction.SUSPEND);
    assertThat(g.shadow()).isTrue();
    assertThat(g.allowedHours().get().from()).isEqualTo(LocalTime.of(8, 0));
    assertThat(g.allowedHours().get().zone()).contains(ZoneId.of("America/Chicago"));
    Policy again = ((PolicyParser.Parsed.Ok) PolicyParser.parse(PolicyParser.toJson(p))).policy();
    assertThat(again).isEqualTo(p);
  }

  @Test
  void aPolicyWithoutGuardsShowsNoneOfTheirFields() throws Exception {
    Policy p = ((PolicyParser.Parsed.Ok) parse("{\"daily_usd_cap\":5}")).policy();
    assertThat(p.guards()).isEqualTo(PolicyGuards.NONE);
    assertThat(PolicyParser.toJson(p).has("mode")).isFalse();
    assertThat(PolicyParser.toJson(p).has("loop_action")).isFalse();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"max_calls_per_destination\":0}|max_calls_per_destination must be a whole number",
        "{\"max_calls_per_destination\":2.5}|max_calls_per_destination must be a whole number",
        "{\"max_identical_calls_per_hour\":\"3\"}|max_identical_calls_per_hour must be",
        "{\"max_usd_per_minute\":0}|max_usd_per_minute must be greater than 0",
        "{\"max_usd_per_minute\":0.0000001}|max_usd_per_minute must have at most 6 decimal",
        "{\"loop_action\":\"block\"}|loop_action must be \"alert\" or \"suspend\"",
        "{\"mode\":\"dry-run\"}|mode must be \"enforce\" or \"shadow\"",
        "{\"allowed_hours\":\"8-21\"}|allowed_hours must be an object",
        "{\"allowed_hours\":{\"from\":\"8:00\",\"to\":\"21:00\"}}|allowed_hours from must be a time",
        "{\"allowed_hours\":{\"from\":\"08:00\",\"to\":\"24:00\"}}|allowed_hours to must be a time",
        "{\"allowed_hours\":{\"from\":\"08:00\",\"to\":\"08:00\"}}|allowed_hours from and to must differ",
        "{\"allowed_hours\":{\"from\":\"08:00\",\"to\":\"21:00\",\"time_zone\":\"Mars/Base\"}}|allowed_hours time_zone must be",
        "{\"allowed_hours\":{\"from\":\"08:00\",\"to\":\"21:00\",\"days\":[1]}}|allowed_hours takes only",
      })
  void badGuardFieldsAreRefusedNamingTheField(String fields, String message) throws Exception {
    String json = "{\"daily_usd_cap\":5," + fields.substring(1);
    PolicyParser.Parsed parsed = parse(json);
    assertThat(parsed).isInstanceOf(PolicyParser.Parsed.Invalid.class);
    assertThat(((PolicyParser.Parsed.Invalid) parsed).message()).startsWith(message);
  }
}
