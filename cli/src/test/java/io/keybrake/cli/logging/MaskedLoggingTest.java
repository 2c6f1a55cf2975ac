package io.keybrake.cli.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.keybrake.core.key.VaultKeys;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The shipped {@code logback.xml} masks secrets in messages and in exception texts. */
class MaskedLoggingTest {
  @Test
  void configuredLayoutMasksVaultKeysAndCredentialsInMessagesAndExceptions() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    PatternLayout layout = new PatternLayout();
    layout.setContext(ctx);
    layout.setPattern("%msg%n%ex");
    layout.start();
    String key = VaultKeys.newSecret();
    LoggingEvent event =
        new LoggingEvent(
            MaskedLoggingTest.class.getName(),
            ctx.getLogger("io.keybrake.test"),
            Level.WARN,
            "refused {} with {}",
            new IllegalStateException("cannot route /2010-04-01/Accounts/" + key + "/Calls.xml"),
            new Object[] {
              "/2010-04-01/Accounts/" + key + "/Messages.xml", "Bearer sk_live_0123456789abcdef"
            });

    String line = layout.doLayout(event);

    assertThat(line)
        .contains("refused /2010-04-01/Accounts/vault_key_****/Messages.xml with Bearer ****")
        .contains("cannot route /2010-04-01/Accounts/vault_key_****/Calls.xml")
        .doesNotContain(key.substring(VaultKeys.SECRET_PREFIX.length()))
        .doesNotContain("sk_live_0123456789abcdef");
  }
}
