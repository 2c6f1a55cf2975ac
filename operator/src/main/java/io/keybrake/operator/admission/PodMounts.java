package io.keybrake.operator.admission;

/** Paths and volume names the injected containers share. */
final class PodMounts {
  static final String SECRETS_VOLUME = "keybrake-secrets";
  static final String TOKEN_VOLUME = "keybrake-token";
  static final String CA_VOLUME = "keybrake-ca";
  static final String BOOTSTRAP_VOLUME = "keybrake-envoy-bootstrap";

  static final String SECRETS_DIR = "/var/run/keybrake";
  static final String TOKEN_DIR = "/var/run/keybrake-token";
  static final String CA_DIR = "/var/run/keybrake-ca";
  static final String BOOTSTRAP_DIR = "/etc/keybrake/envoy";

  /** The env file an entrypoint can source when the policy names a variable. */
  static final String ENV_FILE = SECRETS_DIR + "/keybrake.env";

  static final String TOKEN_AUDIENCE = "keybrake";
  static final long TOKEN_SECONDS = 600;

  private PodMounts() {}
}
