package io.keybrake.operator.sds;

import java.time.Instant;

/**
 * A vendor-host certificate: the chain (leaf then CA) and the private key as PEM, and its end of
 * validity. {@link #toString()} hides the key.
 */
public record IssuedCertificate(
    String host, String chainPem, String privateKeyPem, Instant notAfter) {
  @Override
  public String toString() {
    return "IssuedCertificate[" + host + ", notAfter=" + notAfter + "]";
  }
}
