package io.keybrake.harness.envoy;

import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import java.util.ArrayList;
import java.util.List;

/** Mutable builder of a {@link Trace} for one exchange. Not thread-safe. */
final class ExchangeTrace {
  private final List<Trace.Event> events = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private String localReplyDetails = "";
  private boolean routeCacheCleared;

  void sent(ProcessingRequest message) {
    events.add(new Trace.Sent(message));
  }

  void received(ProcessingResponse message) {
    events.add(new Trace.Received(message));
  }

  void note(String note) {
    notes.add(note);
  }

  /** The live list of notes, for collaborators that add to it. */
  List<String> notes() {
    return notes;
  }

  void localReply(String details) {
    localReplyDetails = details;
  }

  void routeCacheCleared() {
    routeCacheCleared = true;
  }

  Trace build() {
    return new Trace(events, localReplyDetails, routeCacheCleared, notes);
  }
}
