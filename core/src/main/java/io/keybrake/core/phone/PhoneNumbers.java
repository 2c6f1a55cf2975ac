package io.keybrake.core.phone;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberFormat;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberType;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import java.util.regex.Pattern;

/**
 * Reads vendor destination fields as E.164 numbers with libphonenumber: region and number type
 * (premium rate) come from its metadata, not from prefix tables. Agents send to the same numbers
 * again and again, and libphonenumber's classification is the costliest part of reading a call, so
 * the last {@value #REMEMBERED} numbers read are remembered (numbers only: a refused destination is
 * judged anew each time). Thread-safe.
 */
public final class PhoneNumbers {
  private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();
  private static final Pattern E164 = Pattern.compile("\\+[0-9]{2,15}");
  private static final String UNKNOWN_REGION = "ZZ";
  private static final String NON_GEOGRAPHIC = "001";

  /** Destinations remembered (about 200 bytes each). */
  static final int REMEMBERED = 10_000;

  private static final Cache<String, PhoneDestination> READ =
      Caffeine.newBuilder().maximumSize(REMEMBERED).executor(Runnable::run).build();

  private PhoneNumbers() {}

  /**
   * Parses {@code raw}: an optional {@code whatsapp:} prefix, then {@code '+'} and digits only, a
   * number libphonenumber deems possible and writes back the same way.
   *
   * @throws RequestRejected ({@code invalid_destination}) for anything else
   */
  public static PhoneDestination parse(String raw) throws RequestRejected {
    PhoneDestination known = raw == null ? null : READ.getIfPresent(raw);
    if (known != null) {
      return known;
    }
    PhoneDestination read = read(raw);
    READ.put(raw, read);
    return read;
  }

  private static PhoneDestination read(String raw) throws RequestRejected {
    if (raw == null || raw.isEmpty()) {
      throw invalid("destination is empty; expected an E.164 number such as +14155550123");
    }
    Channel channel = Channel.SMS_OR_VOICE;
    String number = raw;
    if (raw.startsWith(Channel.WHATSAPP.prefix())) {
      channel = Channel.WHATSAPP;
      number = raw.substring(Channel.WHATSAPP.prefix().length());
    }
    if (!E164.matcher(number).matches()) {
      String hint = number.startsWith(" ") ? " (a '+' in a form body must be sent as %2B)" : "";
      throw invalid(
          "destination "
              + PhoneDestination.mask(raw)
              + " is not an E.164 number such as +14155550123"
              + hint);
    }
    PhoneNumber parsed;
    try {
      parsed = UTIL.parse(number, UNKNOWN_REGION);
    } catch (NumberParseException e) {
      throw invalid("destination " + PhoneDestination.mask(raw) + " is not a phone number");
    }
    if (!UTIL.isPossibleNumber(parsed)) {
      throw invalid("destination " + PhoneDestination.mask(raw) + " is not a possible number");
    }
    String e164 = UTIL.format(parsed, PhoneNumberFormat.E164);
    if (!e164.equals(number)) {
      throw invalid(
          "destination "
              + PhoneDestination.mask(raw)
              + " is not in E.164 form (expected "
              + PhoneDestination.mask(e164)
              + ")");
    }
    boolean premium = UTIL.getNumberType(parsed) == PhoneNumberType.PREMIUM_RATE;
    return new PhoneDestination(e164, regionOf(parsed), premium, channel);
  }

  private static String regionOf(PhoneNumber number) {
    String region = UTIL.getRegionCodeForNumber(number);
    if (region == null || region.equals(UNKNOWN_REGION) || region.equals(NON_GEOGRAPHIC)) {
      region = UTIL.getRegionCodeForCountryCode(number.getCountryCode());
    }
    if (region == null || region.equals(NON_GEOGRAPHIC)) {
      return UNKNOWN_REGION;
    }
    return region;
  }

  private static RequestRejected invalid(String message) {
    return new RequestRejected(RefusalCode.INVALID_DESTINATION, message);
  }
}
