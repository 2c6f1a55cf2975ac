package io.keybrake.core.request;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FieldAliasesTest {
  private static final List<String> CHECKED = List.of("To", "amount");

  @ParameterizedTest
  @ValueSource(
      strings = {
        "To[]",
        "To[0]",
        "to",
        "TO",
        "To ",
        " To",
        "To\u0000",
        "To\u200b",
        "\u200dTo",
        "T\u00ado",
        "To\t",
        "amount[]",
        "amount[value]",
        "Amount",
        "amount\u00a0"
      })
  void aNameTheVendorCouldReadAsACheckedFieldIsAnAlias(String name) {
    assertThat(FieldAliases.aliasOf(name, CHECKED)).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"To", "amount", "From", "amount_capturable", "transfer_data[amount]"})
  void theFieldItselfAndOtherFieldsAreNotAliases(String name) {
    assertThat(FieldAliases.aliasOf(name, CHECKED)).isEmpty();
  }
}
