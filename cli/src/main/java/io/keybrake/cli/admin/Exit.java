package io.keybrake.cli.admin;

/** Exit codes of the admin commands, stable for scripts. */
public final class Exit {
  /** Done. */
  public static final int OK = 0;

  /** The server refused the request or failed (a 4xx other than 404, a 5xx), or a step failed. */
  public static final int FAILED = 1;

  /** Bad usage or settings (picocli's own usage errors are 2 too). */
  public static final int USAGE = 2;

  /** The admin API (or PostgreSQL, or the vendor's API) could not be reached. */
  public static final int UNREACHABLE = 3;

  /** What was asked for does not exist (404, no key matches the label). */
  public static final int NOT_FOUND = 4;

  private Exit() {}
}
