/**
 * Inline TwiML read safely (bounded, no DTD, no entities) into what Keybrake must check: every
 * number, SIP address, client or room a call can reach, every message it can send, and every URL
 * whose TwiML Twilio would fetch later.
 */
package io.keybrake.core.twiml;
