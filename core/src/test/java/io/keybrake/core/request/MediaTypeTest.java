package io.keybrake.core.request;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MediaTypeTest {
  private static final String FORM = "application/x-www-form-urlencoded";

  @ParameterizedTest
  @ValueSource(
      strings = {
        "application/x-www-form-urlencoded",
        "Application/X-WWW-Form-Urlencoded",
        "application/x-www-form-urlencoded; charset=utf-8",
        "application/x-www-form-urlencoded;charset=UTF-8",
        "application/x-www-form-urlencoded; charset=\"utf-8\"",
        "application/x-www-form-urlencoded;"
      })
  void theDeclaredTypeInUtf8IsAccepted(String type) {
    assertThat(MediaType.problem(List.of(type), FORM)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "application/x-www-form-urlencoded-evil",
        "application/x-www-form-urlencodedx; charset=utf-8",
        "application/json",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded; charset=iso-8859-1",
        "application/x-www-form-urlencoded; charset=utf-16",
        "application/x-www-form-urlencoded; charset=utf-8; charset=latin1",
        "application/x-www-form-urlencoded; boundary=x",
        "application/x-www-form-urlencoded; charset"
      })
  void anyOtherTypeParameterOrCharsetIsRefused(String type) {
    assertThat(MediaType.problem(List.of(type), FORM)).isPresent();
  }

  @org.junit.jupiter.api.Test
  void twoContentTypeHeadersAreRefused() {
    assertThat(MediaType.problem(List.of(FORM, "application/json"), FORM))
        .get()
        .asString()
        .contains("2 Content-Type headers");
  }

  private static final List<String> FORM_OR_JSON = List.of(FORM, "application/json");

  @ParameterizedTest
  @ValueSource(
      strings = {
        "application/x-www-form-urlencoded; charset=utf-8",
        "application/json",
        "Application/JSON; charset=\"UTF-8\""
      })
  void eitherOfTwoAcceptedTypesIsAccepted(String type) {
    assertThat(MediaType.problem(List.of(type), FORM_OR_JSON)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "text/plain", "application/jsonp", "application/json; charset=latin1"})
  void anotherTypeIsRefusedNamingBothAcceptedOnes(String type) {
    assertThat(MediaType.problem(List.of(type), FORM_OR_JSON)).isPresent();
    if (!type.contains("charset")) {
      assertThat(MediaType.problem(List.of(type), FORM_OR_JSON))
          .get()
          .asString()
          .contains("takes Content-Type " + FORM + " or application/json, not '");
    }
  }
}
