package io.keybrake.core.vendor;

/** How an endpoint's request body is read. */
public enum BodyFormat {
  /** {@code application/x-www-form-urlencoded}. */
  FORM,
  /** {@code application/json}. */
  JSON,
  /** No body is expected; a non-empty body is refused. */
  NONE
}
