package io.keybrake.extproc.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Which transport failures surely left nothing at the vendor (their reservation is released). */
class UpstreamNotSentTest {

  @Test
  void unresolvedNamesAndRefusedConnectionsSentNothing() {
    assertThat(UpstreamClient.neverSent(new ExecutionException(new ConnectException("refused"))))
        .isTrue();
    assertThat(UpstreamClient.neverSent(new ExecutionException(new UnknownHostException("x"))))
        .isTrue();
    assertThat(
            UpstreamClient.neverSent(
                new ExecutionException(new RuntimeException(new UnresolvedAddressException()))))
        .isTrue();
  }

  @Test
  void failuresAfterConnectingMayHaveReachedTheVendor() {
    assertThat(UpstreamClient.neverSent(new ExecutionException(new SocketTimeoutException())))
        .isFalse();
    assertThat(UpstreamClient.neverSent(new ExecutionException(new EOFException("reset"))))
        .isFalse();
    assertThat(UpstreamClient.neverSent(new ExecutionException(null))).isFalse();
  }
}
