package io.keybrake.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/**
 * How an injected pod sees its vault key: a file in the shared in-memory volume, and optionally a
 * variable name for the env file next to it. Mutable bean for Jackson.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Injection {
  /** The file name used when the policy names none. */
  public static final String DEFAULT_FILE = "vault-key";

  @Pattern("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
  @JsonPropertyDescription(
      "File name of the vault key under /var/run/keybrake (default vault-key).")
  private String file;

  @Pattern("^[A-Za-z_][A-Za-z0-9_]{0,127}$")
  @JsonPropertyDescription(
      "Variable name, e.g. TWILIO_AUTH_TOKEN: /var/run/keybrake/keybrake.env then holds"
          + " NAME=<vault key> for the entrypoint to source.")
  private String envVar;

  public String getFile() {
    return file;
  }

  public void setFile(String file) {
    this.file = file;
  }

  public String getEnvVar() {
    return envVar;
  }

  public void setEnvVar(String envVar) {
    this.envVar = envVar;
  }

  /** {@link #getFile()} or the default. */
  public String fileOrDefault() {
    return file == null ? DEFAULT_FILE : file;
  }
}
