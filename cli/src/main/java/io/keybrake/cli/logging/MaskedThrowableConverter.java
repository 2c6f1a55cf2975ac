package io.keybrake.cli.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.keybrake.core.secret.SecretMask;

/**
 * {@code %ex} with every secret {@link SecretMask} recognises masked: an exception message that
 * quotes a path or a header does not carry a credential into the log. Used by {@code logback.xml}.
 */
public final class MaskedThrowableConverter extends ThrowableProxyConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return SecretMask.mask(super.convert(event));
  }
}
