package io.keybrake.controlplane.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.audit.AuditQuery;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuditParamsTest {

  private static AuditQuery ok(Map<String, List<String>> params) {
    AuditParams.Parsed p = AuditParams.parse(params);
    assertThat(p).isInstanceOf(AuditParams.Parsed.Ok.class);
    return ((AuditParams.Parsed.Ok) p).query();
  }

  private static String invalid(Map<String, List<String>> params) {
    AuditParams.Parsed p = AuditParams.parse(params);
    assertThat(p).isInstanceOf(AuditParams.Parsed.Invalid.class);
    return ((AuditParams.Parsed.Invalid) p).message();
  }

  @Test
  void noParamsMeansNewestHundred() {
    AuditQuery q = ok(Map.of());
    assertThat(q.limit()).isEqualTo(100);
    assertThat(q.keyId()).isEmpty();
    assertThat(q.since()).isEmpty();
    assertThat(q.until()).isEmpty();
  }

  @Test
  void everyParamIsRead() {
    AuditQuery q =
        ok(
            Map.of(
                "key_id", List.of("key_abc"),
                "since", List.of("2026-01-01T00:00:00Z"),
                "until", List.of("2026-01-02T00:00:00+01:00"),
                "limit", List.of("1000")));
    assertThat(q.keyId()).contains("key_abc");
    assertThat(q.since()).contains(Instant.parse("2026-01-01T00:00:00Z"));
    assertThat(q.until()).contains(Instant.parse("2026-01-01T23:00:00Z"));
    assertThat(q.limit()).isEqualTo(1000);
  }

  @Test
  void unencodedPlusInOffsetIsUnderstood() {
    // "+01:00" unencoded in a URL query decodes to " 01:00"
    AuditQuery q = ok(Map.of("since", List.of("2026-01-02T00:00:00 01:00")));
    assertThat(q.since()).contains(Instant.parse("2026-01-01T23:00:00Z"));
  }

  @Test
  void badParamsAreNamed() {
    assertThat(invalid(Map.of("limit", List.of("0")))).startsWith("limit");
    assertThat(invalid(Map.of("limit", List.of("1001")))).startsWith("limit");
    assertThat(invalid(Map.of("limit", List.of("ten")))).startsWith("limit");
    assertThat(invalid(Map.of("limit", List.of("-1")))).startsWith("limit");
    assertThat(invalid(Map.of("since", List.of("yesterday")))).startsWith("since");
    assertThat(invalid(Map.of("until", List.of("2026-13-01T00:00:00Z")))).startsWith("until");
    assertThat(invalid(Map.of("key_id", List.of("")))).startsWith("key_id");
    assertThat(invalid(Map.of("limit", List.of("1", "2")))).startsWith("limit");
    assertThat(invalid(Map.of("keyid", List.of("key_abc")))).contains("unknown");
    assertThat(
            invalid(
                Map.of(
                    "since", List.of("2026-01-02T00:00:00Z"),
                    "until", List.of("2026-01-01T00:00:00Z"))))
        .contains("since must not be after until");
  }
}
