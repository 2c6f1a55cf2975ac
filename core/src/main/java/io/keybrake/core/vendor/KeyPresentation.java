package io.keybrake.core.vendor;

/** Where an agent's SDK puts the (vault) key on a request to this vendor. */
public enum KeyPresentation {
  /** {@code Authorization: Basic base64(key:…)}: the key is the user name. */
  BASIC_USER,
  /** {@code Authorization: Bearer key}. */
  BEARER,
  /** The key (account SID) is a path segment, e.g. Twilio's {@code /Accounts/{AccountSid}/…}. */
  PATH_ACCOUNT_SID
}
