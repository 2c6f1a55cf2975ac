package io.keybrake.core.guard;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberToTimeZonesMapper;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import io.keybrake.core.destination.Destination;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * The time zones a recipient may be in: libphonenumber's {@link PhoneNumberToTimeZonesMapper} for a
 * phone number (by its prefix, else its country), the policy's own zone for an email address.
 * Stateless and thread-safe.
 */
final class RecipientZones {
  private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();

  private RecipientZones() {}

  /** Every zone the recipient may be in; empty when none is known. */
  static List<ZoneId> of(Destination d, ZoneId emailZone) {
    if (!(d instanceof Destination.Phone phone)) {
      return List.of(emailZone);
    }
    PhoneNumber number;
    try {
      number = UTIL.parse(phone.number().e164(), "ZZ");
    } catch (NumberParseException e) {
      return List.of();
    }
    List<ZoneId> zones = new ArrayList<>();
    for (String id : PhoneNumberToTimeZonesMapper.getInstance().getTimeZonesForNumber(number)) {
      if (id.equals(PhoneNumberToTimeZonesMapper.getUnknownTimeZone())) {
        continue;
      }
      try {
        zones.add(ZoneId.of(id));
      } catch (DateTimeException e) {
        // a zone this JVM does not know: the others still decide
      }
    }
    return zones;
  }
}
