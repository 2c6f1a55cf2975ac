package io.keybrake.core.twiml;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import java.io.StringReader;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Reads inline TwiML (the {@code Twiml} field of a Twilio call) into a {@link Twiml}. The text is
 * bounded ({@link #MAX_CHARS}, like Twilio's own limit; {@link #MAX_DEPTH}, {@link #MAX_ELEMENTS}),
 * and a DTD, an entity reference or anything but one {@code <Response>} root is refused: no
 * external entity is ever resolved. Element and attribute names are matched without regard to case,
 * so a variant spelling is checked rather than skipped. Only elements Keybrake knows are accepted;
 * anything else could reach something unchecked and is refused. Thread-safe (stateless).
 */
public final class TwimlReader {
  public static final int MAX_CHARS = 4000;
  public static final int MAX_DEPTH = 16;
  public static final int MAX_ELEMENTS = 256;

  /** Elements with no reach of their own (content, prompts, containers). */
  private static final Set<String> INERT =
      Set.of(
          "response",
          "say",
          "play",
          "pause",
          "hangup",
          "reject",
          "gather",
          "record",
          "leave",
          "echo",
          "body",
          "media",
          "task",
          "identity",
          "parameter",
          "applicationsid",
          "redirect");

  /** SSML inside {@code <Say>}. */
  private static final Set<String> SSML =
      Set.of(
          "break",
          "emphasis",
          "lang",
          "p",
          "phoneme",
          "prosody",
          "s",
          "say-as",
          "sub",
          "w",
          "amazon:effect",
          "amazon:domain");

  /** Attributes naming a URL whose TwiML response Twilio runs. */
  private static final Set<String> HANDOFF_ATTRIBUTES =
      Set.of("action", "url", "waiturl", "referurl");

  private static final Map<String, String> CANONICAL =
      Map.ofEntries(
          Map.entry("dial", "Dial"),
          Map.entry("number", "Number"),
          Map.entry("sip", "Sip"),
          Map.entry("client", "Client"),
          Map.entry("conference", "Conference"),
          Map.entry("queue", "Queue"),
          Map.entry("enqueue", "Enqueue"),
          Map.entry("sim", "Sim"),
          Map.entry("application", "Application"),
          Map.entry("sms", "Sms"),
          Map.entry("message", "Message"),
          Map.entry("redirect", "Redirect"));

  private static final XMLInputFactory FACTORY = newFactory();

  private TwimlReader() {}

  private static XMLInputFactory newFactory() {
    XMLInputFactory f = XMLInputFactory.newFactory();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, false);
    f.setProperty(XMLInputFactory.IS_COALESCING, true);
    f.setXMLResolver(
        (publicId, systemId, base, ns) -> {
          throw new XMLStreamException("external entities are not read");
        });
    return f;
  }

  /** One open element: its lower-case name and the text read directly inside it. */
  private static final class Open {
    final String name;
    final StringBuilder text = new StringBuilder();
    final List<String[]> attributes = new ArrayList<>();
    boolean hasChildren;

    Open(String name) {
      this.name = name;
    }

    String attribute(String lowerName) {
      for (String[] a : attributes) {
        if (a[0].equals(lowerName)) {
          return a[1];
        }
      }
      return null;
    }
  }

  /**
   * Parses {@code text}.
   *
   * @throws RequestRejected {@code unreadable_request} for TwiML that is too large or not
   *     well-formed, has a DTD or entity, or a root other than {@code <Response>}; {@code
   *     destination_not_allowed} for an element Keybrake cannot check
   */
  public static Twiml read(String text) throws RequestRejected {
    if (text.length() > MAX_CHARS) {
      throw unreadable("Twiml is over " + MAX_CHARS + " characters");
    }
    List<TwimlTarget> targets = new ArrayList<>();
    List<TwimlHandoff> handoffs = new ArrayList<>();
    Deque<Open> stack = new ArrayDeque<>();
    int elements = 0;
    boolean rootSeen = false;
    XMLStreamReader r = null;
    try {
      r = FACTORY.createXMLStreamReader(new StringReader(text));
      while (r.hasNext()) {
        int event = r.next();
        switch (event) {
          case XMLStreamConstants.DTD,
              XMLStreamConstants.ENTITY_REFERENCE,
              XMLStreamConstants.ENTITY_DECLARATION,
              XMLStreamConstants.NOTATION_DECLARATION ->
              throw unreadable("Twiml may not carry a DTD or entity declarations");
          case XMLStreamConstants.START_ELEMENT -> {
            if (++elements > MAX_ELEMENTS || stack.size() >= MAX_DEPTH) {
              throw unreadable("Twiml is nested too deep or has too many elements");
            }
            String name = r.getLocalName().toLowerCase(Locale.ROOT).strip();
            if (stack.isEmpty()) {
              if (rootSeen || !name.equals("response")) {
                throw unreadable("Twiml must have one <Response> root element");
              }
              rootSeen = true;
            } else {
              stack.peek().hasChildren = true;
            }
            boolean inSay = stack.stream().anyMatch(o -> o.name.equals("say"));
            if (inSay ? !SSML.contains(name) : !known(name)) {
              throw new RequestRejected(
                  RefusalCode.DESTINATION_NOT_ALLOWED,
                  "TwiML element <"
                      + printable(r.getLocalName())
                      + "> is not one Keybrake can check, so the call could reach something its"
                      + " policy does not allow");
            }
            Open open = new Open(name);
            for (int i = 0; i < r.getAttributeCount(); i++) {
              String attr = r.getAttributeLocalName(i).toLowerCase(Locale.ROOT).strip();
              open.attributes.add(new String[] {attr, r.getAttributeValue(i)});
              if (HANDOFF_ATTRIBUTES.contains(attr)) {
                handoffs.add(
                    new TwimlHandoff(
                        "<" + canonical(name) + " " + attr + ">", r.getAttributeValue(i)));
              }
            }
            stack.push(open);
          }
          case XMLStreamConstants.CHARACTERS,
              XMLStreamConstants.CDATA,
              XMLStreamConstants.SPACE -> {
            if (stack.isEmpty()) {
              if (!r.isWhiteSpace()) {
                throw unreadable("Twiml has text outside <Response>");
              }
            } else {
              stack.peek().text.append(r.getText());
            }
          }
          case XMLStreamConstants.END_ELEMENT -> {
            Open closed = stack.pop();
            close(closed, stack.peek(), targets, handoffs);
          }
          default -> {
            // comments, processing instructions, the XML declaration: no reach
          }
        }
      }
    } catch (XMLStreamException e) {
      throw unreadable("Twiml is not well-formed XML");
    } finally {
      if (r != null) {
        try {
          r.close();
        } catch (XMLStreamException e) {
          // nothing held open: the input is a string
        }
      }
    }
    if (!rootSeen) {
      throw unreadable("Twiml must have one <Response> root element");
    }
    return new Twiml(targets, handoffs);
  }

  private static boolean known(String name) {
    return INERT.contains(name) || CANONICAL.containsKey(name);
  }

  private static void close(
      Open e, Open parent, List<TwimlTarget> targets, List<TwimlHandoff> handoffs) {
    String text = e.text.toString().strip();
    String element = canonical(e.name);
    switch (e.name) {
      case "dial" -> {
        if (!text.isEmpty()) {
          targets.add(new TwimlTarget.Phone(element, text));
        }
      }
      case "number" -> targets.add(new TwimlTarget.Phone(element, text));
      case "sip", "sim", "application" -> targets.add(new TwimlTarget.Opaque(element, text));
      case "client", "conference", "queue", "enqueue" ->
          targets.add(new TwimlTarget.InAccount(element, text));
      case "sms", "message" -> {
        String to = e.attribute("to");
        targets.add(new TwimlTarget.Message(element, to == null ? "" : to.strip(), text));
      }
      case "body" -> {
        if (parent != null && parent.name.equals("message")) {
          parent.text.append(text);
        }
      }
      case "redirect" -> handoffs.add(new TwimlHandoff("<Redirect>", text));
      default -> {
        // inert
      }
    }
  }

  private static String canonical(String lowerName) {
    String c = CANONICAL.get(lowerName);
    if (c != null) {
      return c;
    }
    return lowerName.isEmpty()
        ? lowerName
        : Character.toUpperCase(lowerName.charAt(0)) + lowerName.substring(1);
  }

  private static String printable(String name) {
    String s = name.length() > 32 ? name.substring(0, 32) : name;
    return s.codePoints().allMatch(c -> c >= 0x20 && c < 0x7f) ? s : "(unprintable)";
  }

  private static RequestRejected unreadable(String message) {
    return new RequestRejected(RefusalCode.UNREADABLE_REQUEST, message);
  }
}
