/** SMS segment counting (GSM-7 / UCS-2), the unit Twilio bills messages in. */
package io.keybrake.core.sms;
