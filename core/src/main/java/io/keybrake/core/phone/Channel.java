package io.keybrake.core.phone;

/** How a message or call reaches a number: plain SMS/voice, or WhatsApp ({@code whatsapp:+…}). */
public enum Channel {
  SMS_OR_VOICE,
  WHATSAPP;

  /** The address prefix Twilio uses for the channel: {@code ""} or {@code "whatsapp:"}. */
  public String prefix() {
    return this == WHATSAPP ? "whatsapp:" : "";
  }
}
