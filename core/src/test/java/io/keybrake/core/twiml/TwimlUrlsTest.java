package io.keybrake.core.twiml;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TwimlUrlsTest {
  private static final List<String> PREFIXES = List.of("https://hooks.example.com/twiml/");

  @ParameterizedTest
  @CsvSource({
    "https://hooks.example.com/twiml/a.xml, true",
    "HTTPS://HOOKS.Example.com/twiml/a.xml?x=1, true",
    "https://hooks.example.com/twiml/, true",
    "https://hooks.example.com/other.xml, false",
    "https://hooks.example.com/TWIML/a.xml, false",
    "https://hooks.example.com.evil.test/twiml/a.xml, false",
    "https://hooks.example.com@evil.test/twiml/a.xml, false",
    "https://hooks.example.com/twiml/../admin.xml, false",
    "https://hooks.example.com/twiml/%2e%2e/admin.xml, false",
    "https://hooks.example.com/twiml/a%2fb, false",
    "http://hooks.example.com/twiml/a.xml, false",
    "/twiml/a.xml, false",
    "'https://hooks.example.com/twiml/a b', false"
  })
  void onlyAUrlUnderANamedPrefixIsAllowed(String url, boolean allowed) {
    assertThat(TwimlUrls.allowed(PREFIXES, url)).isEqualTo(allowed);
  }
}
