package io.keybrake.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Status of kinds that spend: {@link KeybrakeStatus} plus a phase and today's spend against the
 * cap, read from the ledger. Amounts are decimal USD strings. Mutable bean for Jackson.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SpendStatus extends KeybrakeStatus {
  private String phase;
  private String spentUsd;
  private String capUsd;
  private String remainingUsd;

  public String getPhase() {
    return phase;
  }

  public void setPhase(String phase) {
    this.phase = phase;
  }

  public String getSpentUsd() {
    return spentUsd;
  }

  public void setSpentUsd(String spentUsd) {
    this.spentUsd = spentUsd;
  }

  public String getCapUsd() {
    return capUsd;
  }

  public void setCapUsd(String capUsd) {
    this.capUsd = capUsd;
  }

  public String getRemainingUsd() {
    return remainingUsd;
  }

  public void setRemainingUsd(String remainingUsd) {
    this.remainingUsd = remainingUsd;
  }
}
