package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keybrake.harness.envoy.EnvoyExtProcClient;
import io.keybrake.harness.envoy.ExtProcConfig;
import io.keybrake.harness.envoy.HttpRequest;
import io.keybrake.harness.envoy.HttpResult;
import io.keybrake.harness.sim.RecordedRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Behind Envoy (the Envoy-faithful client over real gRPC, no local gateway), the ext_proc server
 * looks the invoice up itself, with the real key, before it lets Envoy forward the payment.
 */
class EnvoyLookupIT {
  @TempDir Path dir;
  Gateway gw;
  ManagedChannel channel;
  EnvoyExtProcClient envoy;

  @BeforeEach
  void start() throws Exception {
    gw = new Gateway(dir);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", gw.app.grpcPort()).usePlaintext().build();
    var xds = io.keybrake.controlplane.xds.XdsSettings.defaults();
    envoy =
        new EnvoyExtProcClient(
            channel,
            ExtProcConfig.defaults()
                // this test is about who looks up, not latency: a loaded machine and a cold JVM
                // must not turn it into a 504 (the lookup's own override is honoured up to the max)
                .withMessageTimeout(java.time.Duration.ofSeconds(5))
                .withMaxMessageTimeout(xds.maxMessageTimeout()));
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow();
    gw.close();
  }

  private static HttpRequest pay(String vaultKey, String invoice) {
    return new HttpRequest(
        "POST",
        "/v1/invoices/" + invoice + "/pay",
        "api.stripe.com",
        "https",
        List.of(
            Map.entry("authorization", Gateway.bearer(vaultKey)),
            Map.entry("content-type", "application/x-www-form-urlencoded")),
        new byte[0]);
  }

  @Test
  void theExtProcServerLooksTheInvoiceUpBeforeEnvoyForwardsThePayment() throws Exception {
    Gateway.Key key = gw.createStripeKey("{\"daily_usd_cap\":100}");
    String invoice = gw.stripe.createInvoice(4_250, "usd");
    List<HttpRequest> forwarded = new ArrayList<>();
    List<RecordedRequest> seenByStripeBeforeForwarding = new ArrayList<>();

    HttpResult r =
        envoy.exchange(
            pay(key.vaultKey(), invoice),
            req -> {
              forwarded.add(req);
              seenByStripeBeforeForwarding.addAll(gw.stripe.received());
              return HttpResult.of(
                  200,
                  List.of(Map.entry("content-type", "application/json")),
                  "{\"id\":\""
                      + invoice
                      + "\",\"object\":\"invoice\",\"amount_due\":4250,\"amount_paid\":4250,"
                      + "\"currency\":\"usd\",\"status\":\"paid\"}");
            });

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.trace().localError()).isEmpty();
    assertThat(seenByStripeBeforeForwarding)
        .singleElement()
        .satisfies(
            lookup -> {
              assertThat(lookup.method()).isEqualTo("GET");
              assertThat(lookup.path()).isEqualTo("/v1/invoices/" + invoice);
              assertThat(lookup.header("authorization")).hasValue("Bearer " + Gateway.STRIPE_KEY);
            });
    assertThat(forwarded).singleElement();
    assertThat(forwarded.get(0).header("authorization")).hasValue("Bearer " + Gateway.STRIPE_KEY);
    JsonNode spend = gw.spend(key.id());
    assertThat(spend.get("spent_usd").decimalValue()).isEqualByComparingTo("42.50");
  }

  @Test
  void behindEnvoyASpentCapRefusesBeforeAnyLookup() throws Exception {
    Gateway.Key key = gw.createStripeKey("{\"daily_usd_cap\":1}");
    String spender = gw.stripe.createInvoice(100, "usd");
    HttpResult spent =
        envoy.exchange(
            pay(key.vaultKey(), spender),
            req ->
                HttpResult.of(
                    200,
                    List.of(Map.entry("content-type", "application/json")),
                    "{\"id\":\"" + spender + "\",\"amount_paid\":100,\"currency\":\"usd\"}"));
    assertThat(spent.status()).isEqualTo(200);
    String invoice = gw.stripe.createInvoice(5_000, "usd");
    gw.stripe.clear();
    List<HttpRequest> forwarded = new ArrayList<>();

    HttpResult r =
        envoy.exchange(
            pay(key.vaultKey(), invoice),
            req -> {
              forwarded.add(req);
              return HttpResult.of(500, List.of(), "");
            });

    assertThat(r.status()).isEqualTo(429);
    assertThat(forwarded).isEmpty();
    assertThat(gw.stripe.received()).isEmpty();
  }
}
