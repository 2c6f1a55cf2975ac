package io.keybrake.extproc.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import org.junit.jupiter.api.Test;

class EnvoyResponseFlagsTest {
  private static final long UPSTREAM_REQUEST_TIMEOUT = 1L << 2; // UT
  private static final long UPSTREAM_REMOTE_RESET = 1L << 4; // UR
  private static final long UPSTREAM_RETRY_LIMIT_EXCEEDED = 1L << 15; // URX

  private static ProcessingRequest withFlags(Value flags) {
    return ProcessingRequest.newBuilder()
        .putAttributes(
            EnvoyResponseFlags.ATTRIBUTES_KEY,
            Struct.newBuilder()
                .putFields(EnvoyResponseFlags.FLAGS, flags)
                .putFields(
                    EnvoyResponseFlags.CODE_DETAILS,
                    Value.newBuilder()
                        .setStringValue(
                            "upstream_reset_before_response_started{remote_connection_failure}")
                        .build())
                .build())
        .build();
  }

  private static ProcessingRequest withFlags(long bits) {
    return withFlags(Value.newBuilder().setNumberValue(bits).build());
  }

  @Test
  void flagsThatMeanNothingWasSentReleaseTheCall() {
    assertThat(
            EnvoyResponseFlags.neverSent(withFlags(EnvoyResponseFlags.UPSTREAM_CONNECTION_FAILURE)))
        .isTrue();
    assertThat(EnvoyResponseFlags.neverSent(withFlags(EnvoyResponseFlags.NO_HEALTHY_UPSTREAM)))
        .isTrue();
    assertThat(
            EnvoyResponseFlags.neverSent(
                withFlags(
                    EnvoyResponseFlags.UPSTREAM_OVERFLOW
                        | EnvoyResponseFlags.DNS_RESOLUTION_FAILURE)))
        .isTrue();
    assertThat(
            EnvoyResponseFlags.neverSent(
                withFlags(Value.newBuilder().setStringValue("32").build())))
        .isTrue();
  }

  @Test
  void anyFlagThatMayFollowASentRequestKeepsTheReservation() {
    assertThat(EnvoyResponseFlags.neverSent(withFlags(0))).isFalse();
    assertThat(EnvoyResponseFlags.neverSent(withFlags(UPSTREAM_REQUEST_TIMEOUT))).isFalse();
    assertThat(EnvoyResponseFlags.neverSent(withFlags(UPSTREAM_REMOTE_RESET))).isFalse();
    assertThat(
            EnvoyResponseFlags.neverSent(
                withFlags(
                    EnvoyResponseFlags.UPSTREAM_CONNECTION_FAILURE
                        | UPSTREAM_RETRY_LIMIT_EXCEEDED)))
        .as("a retry limit means an earlier attempt may have been sent")
        .isFalse();
    assertThat(EnvoyResponseFlags.neverSent(ProcessingRequest.getDefaultInstance())).isFalse();
    assertThat(
            EnvoyResponseFlags.neverSent(
                withFlags(Value.newBuilder().setStringValue("UF").build())))
        .isFalse();
  }
}
