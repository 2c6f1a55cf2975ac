package io.keybrake.store.json;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.policy.Policy;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class JsonColumnsScopeTest {
  private static Policy policy(List<String> twimlUrls, List<String> accounts) {
    return new Policy(
        5_000_000L,
        OptionalLong.empty(),
        List.of("+1"),
        List.of(),
        List.of(),
        Duration.ofSeconds(60),
        Optional.empty(),
        600,
        false,
        ZoneOffset.UTC,
        twimlUrls,
        accounts);
  }

  @Test
  void twimlUrlsAndAccountsSurviveTheColumn() {
    Policy p = policy(List.of("https://hooks.example.com/twiml/"), List.of("acct_123"));

    assertThat(JsonColumns.policy(JsonColumns.policy(p))).isEqualTo(p);
  }

  @Test
  void aPolicyWithoutThemKeepsTheEarlierColumnFormAndReadsBack() {
    Policy p = policy(List.of(), List.of());
    String column = JsonColumns.policy(p);

    assertThat(column).doesNotContain("allowed_twiml_urls").doesNotContain("allowed_accounts");
    assertThat(JsonColumns.policy(column)).isEqualTo(p);
  }
}
