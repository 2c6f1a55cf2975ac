package io.keybrake.harness.envoy;

import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code Trace} records one exchange's ext_proc conversation: every message sent and received in
 * order, the details of any local reply Envoy would have produced (Envoy's response code details,
 * e.g. {@code ext_proc_error_per-message_timeout_exceeded}), whether the route cache was cleared,
 * and notes on what Envoy ignored (spurious answers, refused mutations, refused timeout overrides).
 * Immutable and thread-safe.
 */
public record Trace(
    List<Event> events, String localReplyDetails, boolean routeCacheCleared, List<String> notes) {

  /** The trace of an answer that did not go through the processor. */
  public static final Trace EMPTY = new Trace(List.of(), "", false, List.of());

  /** Note recorded when Envoy drops a spurious (unexpected or wrongly typed) answer. */
  public static final String SPURIOUS = "spurious message";

  public Trace {
    events = List.copyOf(events);
    localReplyDetails = localReplyDetails == null ? "" : localReplyDetails;
    notes = List.copyOf(notes);
  }

  /** One message on the stream. */
  public sealed interface Event permits Sent, Received {
    /** {@code ">request_headers"} for a sent message, {@code "<request_headers"} for an answer. */
    String label();
  }

  /** A message Envoy sent to the processor. */
  public record Sent(ProcessingRequest message) implements Event {
    @Override
    public String label() {
      return ">" + message.getRequestCase().name().toLowerCase(Locale.ROOT);
    }
  }

  /** A message Envoy received from the processor. */
  public record Received(ProcessingResponse message) implements Event {
    @Override
    public String label() {
      if (message.hasOverrideMessageTimeout()) {
        return "<override_message_timeout";
      }
      return "<" + message.getResponseCase().name().toLowerCase(Locale.ROOT);
    }
  }

  /** The messages sent, in order. */
  public List<ProcessingRequest> sent() {
    List<ProcessingRequest> out = new ArrayList<>();
    for (Event e : events) {
      if (e instanceof Sent s) {
        out.add(s.message());
      }
    }
    return List.copyOf(out);
  }

  /** The messages received, in order. */
  public List<ProcessingResponse> received() {
    List<ProcessingResponse> out = new ArrayList<>();
    for (Event e : events) {
      if (e instanceof Received r) {
        out.add(r.message());
      }
    }
    return List.copyOf(out);
  }

  /** The labels of every event, e.g. {@code [>request_headers, <request_headers, ...]}. */
  public List<String> sequence() {
    List<String> out = new ArrayList<>();
    for (Event e : events) {
      out.add(e.label());
    }
    return List.copyOf(out);
  }

  /** The details of the local reply Envoy produced, if any. */
  public Optional<String> localError() {
    return localReplyDetails.isEmpty() ? Optional.empty() : Optional.of(localReplyDetails);
  }

  /** True when Envoy dropped a spurious answer and stopped talking to the processor. */
  public boolean spurious() {
    return notes.stream().anyMatch(n -> n.startsWith(SPURIOUS));
  }
}
