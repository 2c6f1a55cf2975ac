package io.keybrake.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Map;

/**
 * The policy of the admin API's {@code POST /keys} ({@code daily_usd_cap} is {@code dailyUsdCap}
 * here, and so on), the labels its keys carry, the credential they use and how injected pods see
 * their key. {@link io.keybrake.operator.reconcile.PolicyTranslation} turns it into the admin API's
 * JSON and lets the core's {@code PolicyParser} decide, so the CRD and the API cannot drift apart;
 * the schema and CEL rules here refuse the obvious mistakes at {@code kubectl apply}. Mutable bean
 * for Jackson.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!has(self.totalUsdCap) || double(self.totalUsdCap) >= double(self.dailyUsdCap)",
    message = "totalUsdCap must be at least dailyUsdCap",
    reason = "FieldValueInvalid")
@ValidationRule(
    value = "!has(self.maxCallUsd) || double(self.maxCallUsd) <= double(self.dailyUsdCap)",
    message = "maxCallUsd must be at most dailyUsdCap",
    reason = "FieldValueInvalid")
public class SpendPolicySpec {
  @Required
  @JsonPropertyDescription("The VendorCredential the keys of this policy use.")
  private CredentialReference vendorCredential;

  @Size(max = 64)
  @JsonPropertyDescription("Labels every key of this policy carries (fleet budgets select them).")
  private Map<String, String> labels;

  @Required
  @Pattern(Money.USD_PATTERN)
  @Size(max = Money.MAX_CHARS)
  @ValidationRule(value = "double(self) > 0.0", message = "dailyUsdCap must be greater than 0")
  @JsonPropertyDescription("Daily cap per key in USD, e.g. \"50.00\" (admin API: daily_usd_cap).")
  private String dailyUsdCap;

  @Pattern(Money.USD_PATTERN)
  @Size(max = Money.MAX_CHARS)
  @ValidationRule(value = "double(self) > 0.0", message = "totalUsdCap must be greater than 0")
  @JsonPropertyDescription("Lifetime cap per key in USD (total_usd_cap).")
  private String totalUsdCap;

  @Pattern(Money.USD_PATTERN)
  @Size(max = Money.MAX_CHARS)
  @ValidationRule(value = "double(self) > 0.0", message = "maxCallUsd must be greater than 0")
  @JsonPropertyDescription("Largest estimated cost of one call in USD (max_call_usd).")
  private String maxCallUsd;

  @Size(max = 1000)
  @JsonPropertyDescription("E.164 prefixes (\"+1\") or email domains (\"@example.com\").")
  private List<@Pattern("^([+][0-9]{1,15}|@[A-Za-z0-9.-]{1,253})$") String> allowedPrefixes;

  @Size(max = 1000)
  @JsonPropertyDescription("ISO 3166-1 alpha-2 country codes (allowed_countries).")
  private List<@Pattern("^[A-Za-z]{2}$") String> allowedCountries;

  @Size(max = 1000)
  @JsonPropertyDescription(
      "Endpoint names or \"METHOD /path/template\" (allowed_endpoints); empty = every priced"
          + " endpoint.")
  private List<@Size(min = 1, max = 256) String> allowedEndpoints;

  @Size(max = 1000)
  @JsonPropertyDescription("TwiML URLs a Twilio call may fetch (allowed_twiml_urls).")
  private List<@Pattern("^https://.{1,2040}$") String> allowedTwimlUrls;

  @Size(max = 1000)
  @JsonPropertyDescription("Vendor accounts the keys may act on (allowed_accounts).")
  private List<@Size(min = 1, max = 128) String> allowedAccounts;

  @Min(0)
  @Max(86400)
  @JsonPropertyDescription("Replay window for identical calls in seconds; 0 disables (default 60).")
  private Long dedupWindowSeconds;

  @Pattern("^([0-9]+(h|m|s))+$")
  @JsonPropertyDescription("Key lifetime, e.g. \"24h\", \"30m\", \"1h30m\" (expires_in).")
  private String expiresIn;

  @Min(1)
  @Max(14400)
  @JsonPropertyDescription("Twilio call TimeLimit cap in seconds (max_call_seconds).")
  private Long maxCallSeconds;

  @JsonPropertyDescription("Whether premium-rate numbers may be reached (allow_premium).")
  private Boolean allowPremium;

  @JsonPropertyDescription("IANA zone whose midnight starts a daily window (default UTC).")
  private String timeZone;

  @JsonPropertyDescription("How an injected pod sees its vault key.")
  private Injection injection;

  public CredentialReference getVendorCredential() {
    return vendorCredential;
  }

  public void setVendorCredential(CredentialReference vendorCredential) {
    this.vendorCredential = vendorCredential;
  }

  public Map<String, String> getLabels() {
    return labels;
  }

  public void setLabels(Map<String, String> labels) {
    this.labels = labels;
  }

  public String getDailyUsdCap() {
    return dailyUsdCap;
  }

  public void setDailyUsdCap(String dailyUsdCap) {
    this.dailyUsdCap = dailyUsdCap;
  }

  public String getTotalUsdCap() {
    return totalUsdCap;
  }

  public void setTotalUsdCap(String totalUsdCap) {
    this.totalUsdCap = totalUsdCap;
  }

  public String getMaxCallUsd() {
    return maxCallUsd;
  }

  public void setMaxCallUsd(String maxCallUsd) {
    this.maxCallUsd = maxCallUsd;
  }

  public List<String> getAllowedPrefixes() {
    return allowedPrefixes;
  }

  public void setAllowedPrefixes(List<String> allowedPrefixes) {
    this.allowedPrefixes = allowedPrefixes;
  }

  public List<String> getAllowedCountries() {
    return allowedCountries;
  }

  public void setAllowedCountries(List<String> allowedCountries) {
    this.allowedCountries = allowedCountries;
  }

  public List<String> getAllowedEndpoints() {
    return allowedEndpoints;
  }

  public void setAllowedEndpoints(List<String> allowedEndpoints) {
    this.allowedEndpoints = allowedEndpoints;
  }

  public List<String> getAllowedTwimlUrls() {
    return allowedTwimlUrls;
  }

  public void setAllowedTwimlUrls(List<String> allowedTwimlUrls) {
    this.allowedTwimlUrls = allowedTwimlUrls;
  }

  public List<String> getAllowedAccounts() {
    return allowedAccounts;
  }

  public void setAllowedAccounts(List<String> allowedAccounts) {
    this.allowedAccounts = allowedAccounts;
  }

  public Long getDedupWindowSeconds() {
    return dedupWindowSeconds;
  }

  public void setDedupWindowSeconds(Long dedupWindowSeconds) {
    this.dedupWindowSeconds = dedupWindowSeconds;
  }

  public String getExpiresIn() {
    return expiresIn;
  }

  public void setExpiresIn(String expiresIn) {
    this.expiresIn = expiresIn;
  }

  public Long getMaxCallSeconds() {
    return maxCallSeconds;
  }

  public void setMaxCallSeconds(Long maxCallSeconds) {
    this.maxCallSeconds = maxCallSeconds;
  }

  public Boolean getAllowPremium() {
    return allowPremium;
  }

  public void setAllowPremium(Boolean allowPremium) {
    this.allowPremium = allowPremium;
  }

  public String getTimeZone() {
    return timeZone;
  }

  public void setTimeZone(String timeZone) {
    this.timeZone = timeZone;
  }

  public Injection getInjection() {
    return injection;
  }

  public void setInjection(Injection injection) {
    this.injection = injection;
  }
}
