package io.keybrake.core.twiml;

import java.util.Objects;

/** Something inline TwiML makes Twilio reach. Immutable. */
public sealed interface TwimlTarget {
  /** The TwiML element that names it, e.g. {@code Number}, for messages. */
  String element();

  /** A phone number dialled ({@code <Dial>} text, {@code <Number>}); {@code raw} as written. */
  record Phone(String element, String raw) implements TwimlTarget {
    public Phone {
      Objects.requireNonNull(element);
      Objects.requireNonNull(raw);
    }
  }

  /**
   * A message sent during the call ({@code <Sms>}, {@code <Message>}); {@code to} is the raw {@code
   * to} attribute, empty when the message goes back to the caller.
   */
  record Message(String element, String to, String body) implements TwimlTarget {
    public Message {
      Objects.requireNonNull(element);
      Objects.requireNonNull(to);
      Objects.requireNonNull(body);
    }
  }

  /**
   * A target inside the Twilio account, which reaches no phone network by itself: {@code <Client>},
   * {@code <Conference>}, {@code <Queue>}, {@code <Enqueue>}.
   */
  record InAccount(String element, String name) implements TwimlTarget {
    public InAccount {
      Objects.requireNonNull(element);
      Objects.requireNonNull(name);
    }
  }

  /**
   * A target Keybrake cannot check against a phone allowlist: {@code <Sip>} (the far end may route
   * to any number), {@code <Application>}, {@code <Sim>}.
   */
  record Opaque(String element, String value) implements TwimlTarget {
    public Opaque {
      Objects.requireNonNull(element);
      Objects.requireNonNull(value);
    }
  }
}
