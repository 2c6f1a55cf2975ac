package io.keybrake.harness.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.StringValue;
import com.google.protobuf.UnknownFieldSet;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import org.junit.jupiter.api.Test;

class StrictProtoTest {

  private final StrictProto strict = StrictProto.envoy();
  private static final String CDS = EnvoyXdsClient.CDS;

  private static Cluster tlsCluster(Any typedConfig) {
    return Cluster.newBuilder()
        .setName("vendor_twilio")
        .setTransportSocket(
            TransportSocket.newBuilder()
                .setName("envoy.transport_sockets.tls")
                .setTypedConfig(typedConfig))
        .build();
  }

  @Test
  void aCleanResourcePasses() {
    Any ok =
        Any.pack(
            tlsCluster(Any.pack(UpstreamTlsContext.newBuilder().setSni("api.twilio.com").build())));
    assertThat(strict.checkResource(ok, CDS, "r")).isEmpty();
  }

  @Test
  void aTypedConfigOfATypeEnvoyHasNoExtensionForFails() {
    Any bad = Any.pack(tlsCluster(Any.pack(StringValue.of("x"))));
    assertThat(strict.checkResource(bad, CDS, "r"))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .contains("unknown type type.googleapis.com/google.protobuf.StringValue"));
  }

  @Test
  void aFieldTheProtoDoesNotDeclareFails() {
    UpstreamTlsContext withUnknown =
        UpstreamTlsContext.newBuilder()
            .setSni("api.twilio.com")
            .setUnknownFields(
                UnknownFieldSet.newBuilder()
                    .addField(4242, UnknownFieldSet.Field.newBuilder().addVarint(1).build())
                    .build())
            .build();
    Any bad = Any.pack(tlsCluster(Any.pack(withUnknown)));
    assertThat(strict.checkResource(bad, CDS, "r"))
        .hasValueSatisfying(m -> assertThat(m).contains("unknown field number(s) [4242]"));
  }

  @Test
  void anEnumNumberEnvoyDoesNotNameFails() {
    Any bad = Any.pack(Cluster.newBuilder().setName("c").setTypeValue(77).build());
    assertThat(strict.checkResource(bad, CDS, "r"))
        .hasValueSatisfying(m -> assertThat(m).contains(".type: unknown enum value 77"));
  }

  @Test
  void aResourceOfTheWrongTypeFails() {
    Any listener = Any.pack(Listener.newBuilder().setName("l").build());
    assertThat(strict.checkResource(listener, CDS, "r"))
        .hasValueSatisfying(m -> assertThat(m).contains("expected " + CDS));
  }
}
