package io.keybrake.core.sms;

/** The SMS alphabet a body needs: GSM 03.38 7-bit, or UCS-2 (UTF-16 code units). */
public enum SmsEncoding {
  GSM7,
  UCS2
}
