package io.keybrake.cli.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.keybrake.core.secret.SecretMask;

/**
 * {@code %msg} with every secret {@link SecretMask} recognises masked: a log line never carries a
 * vault key or a vendor credential, whatever a message quotes. Used by {@code logback.xml}.
 */
public final class MaskedMessageConverter extends MessageConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return SecretMask.mask(super.convert(event));
  }
}
