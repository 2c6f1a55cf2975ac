package io.keybrake.operator.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VendorSpecRolloutTest {
  @Test
  void theDigestDependsOnTheContentAloneNotOnTheOrderTheEntriesCameIn() {
    Map<String, String> ab = new LinkedHashMap<>();
    ab.put("a.yaml", "id: a\n");
    ab.put("b.yaml", "id: b\n");
    Map<String, String> ba = new LinkedHashMap<>();
    ba.put("b.yaml", "id: b\n");
    ba.put("a.yaml", "id: a\n");

    assertThat(VendorSpecRollout.digest(ab))
        .isEqualTo(VendorSpecRollout.digest(ba))
        .matches("[0-9a-f]{64}")
        .isNotEqualTo(VendorSpecRollout.digest(Map.of("a.yaml", "id: a\n")));
  }

  @Test
  void movingTextBetweenAKeyAndItsValueOrBetweenEntriesChangesTheDigest() {
    assertThat(VendorSpecRollout.digest(Map.of("ab", "c")))
        .isNotEqualTo(VendorSpecRollout.digest(Map.of("a", "bc")));
    assertThat(VendorSpecRollout.digest(Map.of("a", "b", "c", "d")))
        .isNotEqualTo(VendorSpecRollout.digest(Map.of("a", "bcd")));
    // no data is SHA-256 of no input
    assertThat(VendorSpecRollout.digest(Map.of()))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
}
