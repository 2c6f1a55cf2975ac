package io.keybrake.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScopeFieldsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static PolicyParser.Parsed parse(String text) throws Exception {
    return PolicyParser.parse(JSON.readTree(text.replace('\'', '"')));
  }

  @Test
  void twimlUrlsAndAccountsAreKeptAndShownBack() throws Exception {
    PolicyParser.Parsed p =
        parse(
            "{'daily_usd_cap':5,'allowed_twiml_urls':['HTTPS://Hooks.Example.com/TwiML/'],"
                + "'allowed_accounts':['acct_1032D82eZvKYlo2C']}");

    Policy policy = ((PolicyParser.Parsed.Ok) p).policy();
    assertThat(policy.allowedTwimlUrls()).containsExactly("https://hooks.example.com/TwiML/");
    assertThat(policy.allowedAccounts()).containsExactly("acct_1032D82eZvKYlo2C");
    assertThat(PolicyParser.parse(PolicyParser.toJson(policy))).isEqualTo(p);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{'daily_usd_cap':5,'allowed_twiml_urls':['https://hooks.example.com']}",
        "{'daily_usd_cap':5,'allowed_twiml_urls':['http://hooks.example.com/']}",
        "{'daily_usd_cap':5,'allowed_twiml_urls':['https://u@hooks.example.com/']}",
        "{'daily_usd_cap':5,'allowed_twiml_urls':['https://hooks.example.com/?a=1']}",
        "{'daily_usd_cap':5,'allowed_twiml_urls':['/twiml/']}",
        "{'daily_usd_cap':5,'allowed_twiml_urls':'https://hooks.example.com/'}"
      })
  void aTwimlUrlPrefixThatCouldReachAnotherHostIsRefusedNamingTheField(String text)
      throws Exception {
    assertThat(parse(text))
        .isInstanceOfSatisfying(
            PolicyParser.Parsed.Invalid.class,
            i -> assertThat(i.field()).isEqualTo("allowed_twiml_urls"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"acct_", "ACCT_1", "acct_1 ", "cus_123", "acct_1/acct_2"})
  void anAccountThatIsNotAStripeAccountIdIsRefused(String account) throws Exception {
    assertThat(parse("{'daily_usd_cap':5,'allowed_accounts':['" + account + "']}"))
        .isInstanceOfSatisfying(
            PolicyParser.Parsed.Invalid.class,
            i -> assertThat(i.field()).isEqualTo("allowed_accounts"));
  }
}
