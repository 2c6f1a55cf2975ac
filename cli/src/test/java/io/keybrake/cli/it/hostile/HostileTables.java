package io.keybrake.cli.it.hostile;

import java.util.ArrayList;
import java.util.List;

/**
 * Every table of the hostile-input suite. One class per area; to add an area (money, admin inputs…)
 * write its class next to these, with a {@code static List<HostileCase> cases()}, and list it here.
 */
public final class HostileTables {
  private HostileTables() {}

  public static List<HostileCase> all() {
    List<HostileCase> out = new ArrayList<>();
    out.addAll(DestinationCases.cases());
    out.addAll(TwimlCases.cases());
    out.addAll(HeaderCases.cases());
    out.addAll(EncodingCases.cases());
    out.addAll(FieldAliasCases.cases());
    out.addAll(PathCases.cases());
    out.addAll(MethodCases.cases());
    out.addAll(CredentialCases.cases());
    return out;
  }
}
