package io.keybrake.core.sms;

/**
 * How a body is sent: its encoding, its length in encoding units (GSM-7 septets or UTF-16 code
 * units) and the number of billed segments. Immutable.
 */
public record SegmentCount(SmsEncoding encoding, int units, int segments) {}
