package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keybrake.controlplane.xds.EgressListener;
import io.keybrake.controlplane.xds.XdsSettings;
import io.keybrake.harness.envoy.EnvoyExtProcClient;
import io.keybrake.harness.envoy.ExtProcConfig;
import io.keybrake.harness.envoy.HttpRequest;
import io.keybrake.harness.envoy.HttpResult;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Behind Envoy, a call that never reached the vendor (Envoy could not connect: response flag UF)
 * gives its reservation back at once: the processor reads Envoy's {@code response.flags}, which the
 * pushed ext_proc filter asks for with {@code response_attributes}. A vendor cannot fake it: the
 * local gateway's {@code x-keybrake-upstream: not-sent} header is not trusted from Envoy's side.
 */
class EnvoyNeverSentIT {
  @TempDir Path dir;
  Gateway gw;
  ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    gw = new Gateway(dir);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", gw.app.grpcPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow();
    gw.close();
  }

  /** Envoy as the control plane configures it: its timeouts and its response attributes. */
  private EnvoyExtProcClient envoy(List<String> responseAttributes) {
    XdsSettings xds = XdsSettings.defaults();
    return new EnvoyExtProcClient(
        channel,
        ExtProcConfig.defaults()
            .withMessageTimeout(xds.messageTimeout())
            .withMaxMessageTimeout(xds.maxMessageTimeout())
            .withResponseAttributes(responseAttributes));
  }

  @Test
  void aConnectionFailureReportedByEnvoyReleasesTheReservationAtOnce() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    HttpResult r =
        envoy(EgressListener.NEVER_SENT_ATTRIBUTES)
            .exchange(
                sms(key.vaultKey()),
                req -> {
                  throw new IOException("connection refused");
                });

    assertThat(r.status()).isEqualTo(503); // Envoy's own answer for UF
    JsonNode spend = gw.spend(key.id());
    assertThat(spend.get("reserved_usd").decimalValue()).isZero();
    assertThat(spend.get("spent_usd").decimalValue()).isZero();
  }

  @Test
  void withoutTheResponseFlagsAFailedCallKeepsItsReservationForTheSweep() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    HttpResult r =
        envoy(List.of())
            .exchange(
                sms(key.vaultKey()),
                req -> {
                  throw new IOException("connection refused");
                });

    assertThat(r.status()).isEqualTo(503);
    JsonNode spend = gw.spend(key.id());
    // a 5xx with no word on whether it was sent counts as spent (unsettled), never as free
    assertThat(spend.get("spent_usd").decimalValue().add(spend.get("reserved_usd").decimalValue()))
        .isGreaterThan(BigDecimal.ZERO);
  }

  @Test
  void aVendorSendingTheLocalGatewaysNotSentHeaderDoesNotGetTheCallForFree() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    HttpResult r =
        envoy(EgressListener.NEVER_SENT_ATTRIBUTES)
            .exchange(
                sms(key.vaultKey()),
                req ->
                    HttpResult.of(
                        502,
                        List.of(
                            Map.entry("content-type", "application/json"),
                            Map.entry("x-keybrake-upstream", "not-sent")),
                        "{\"message\":\"bad gateway\"}"));

    assertThat(r.status()).isEqualTo(502);
    JsonNode spend = gw.spend(key.id());
    assertThat(spend.get("spent_usd").decimalValue().add(spend.get("reserved_usd").decimalValue()))
        .as("the vendor reached may have sent the message: its cost stays counted")
        .isGreaterThan(BigDecimal.ZERO);
  }

  private static HttpRequest sms(String vaultKey) {
    byte[] body =
        Gateway.form(Gateway.sms(Gateway.US_NUMBER, "never sent")).getBytes(StandardCharsets.UTF_8);
    return new HttpRequest(
        "POST",
        "/2010-04-01/Accounts/" + vaultKey + "/Messages.json",
        "api.twilio.com",
        "https",
        List.of(
            Map.entry("authorization", Gateway.basic(vaultKey, "x")),
            Map.entry("content-type", "application/x-www-form-urlencoded")),
        body);
  }
}
