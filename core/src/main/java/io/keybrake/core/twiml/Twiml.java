package io.keybrake.core.twiml;

import java.util.List;

/**
 * What a piece of inline TwiML reaches: its targets in document order and the URLs it hands the
 * call to. Immutable.
 */
public record Twiml(List<TwimlTarget> targets, List<TwimlHandoff> handoffs) {
  public Twiml {
    targets = List.copyOf(targets);
    handoffs = List.copyOf(handoffs);
  }
}
