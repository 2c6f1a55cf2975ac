package io.keybrake.core.vendor;

/**
 * Where an agent's SDK puts the (vault) key on a request to this vendor. A vendor accepts only the
 * presentations its spec lists: a key presented another way is refused.
 */
public enum KeyPresentation {
  /** {@code Authorization: Basic base64(key:…)}: the key is the user name. */
  BASIC_USER,
  /** {@code Authorization: Bearer key}. */
  BEARER,
  /**
   * The key is a path segment, the spec's {@code key_path_variable} (Twilio's {@code
   * /Accounts/{AccountSid}/…}).
   */
  PATH_SEGMENT
}
