package io.keybrake.core.audit;

import java.util.OptionalLong;

/**
 * The result of walking the hash chain.
 *
 * @param rows how many rows were checked
 * @param firstBadSeq the first row whose hash or link does not match, if any
 * @param problem what is wrong with that row
 */
public record ChainVerification(long rows, OptionalLong firstBadSeq, String problem) {
  public boolean ok() {
    return firstBadSeq.isEmpty();
  }
}
