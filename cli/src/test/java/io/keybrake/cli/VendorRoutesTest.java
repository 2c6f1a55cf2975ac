package io.keybrake.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code up} banner's lines saying where the local gateway sends each vendor's calls. */
class VendorRoutesTest {

  @Test
  void theRealVendorApisAreNamedWithAWarning() {
    List<String> lines = Serve.vendorRoutes(Map.of(), false);

    assertThat(lines).hasSize(3);
    assertThat(lines)
        .anySatisfy(
            l ->
                assertThat(l)
                    .contains("twilio calls go to", "https://api.twilio.com")
                    .contains("WARNING: the real Twilio API")
                    .contains("cost money"))
        .anySatisfy(l -> assertThat(l).contains("https://api.stripe.com", "WARNING"))
        .anySatisfy(l -> assertThat(l).contains("https://api.resend.com", "WARNING"));
  }

  @Test
  void anOverrideNamesItsVariableAndASimulatorSaysSo() {
    Map<String, URI> elsewhere = Map.of("stripe", URI.create("http://127.0.0.1:12111"));

    assertThat(Serve.vendorRoutes(elsewhere, false))
        .anySatisfy(
            l ->
                assertThat(l)
                    .contains("stripe calls go to", "http://127.0.0.1:12111")
                    .contains("(KEYBRAKE_UPSTREAM_STRIPE)")
                    .doesNotContain("WARNING"))
        .filteredOn(l -> l.contains("twilio"))
        .singleElement()
        .asString()
        .contains("WARNING");
    assertThat(Serve.vendorRoutes(elsewhere, true))
        .filteredOn(l -> l.contains("stripe"))
        .singleElement()
        .asString()
        .contains("(local simulator, --simulate)");
  }
}
