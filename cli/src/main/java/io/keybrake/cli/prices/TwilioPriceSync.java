package io.keybrake.cli.prices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.keybrake.cli.admin.Cli;
import io.keybrake.core.pricing.PriceTable;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Builds a Twilio price file from Twilio's Pricing API: for every country of the current table, the
 * dearest outbound SMS price of any carrier and number type ({@code GET
 * /v1/Messaging/Countries/{ISO}}) and the dearest outbound voice prefix price ({@code GET
 * /v2/Voice/Countries/{ISO}}), rounded up to 4 decimals. MMS and WhatsApp rates are kept from the
 * current table (the API does not list them); defaults are raised when a country is dearer, so an
 * unlisted country is never priced below a listed one. Not thread-safe; one run per call.
 */
final class TwilioPriceSync {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final String authorization;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  TwilioPriceSync(URI base, String accountSid, String authToken) {
    this.base = base;
    this.authorization =
        "Basic "
            + Base64.getEncoder()
                .encodeToString((accountSid + ":" + authToken).getBytes(StandardCharsets.UTF_8));
  }

  /** The new file's text, checked by {@link PriceTable#parse}. */
  String sync(InputStream current, LocalDate asOf) throws IOException, Cli.Unreachable {
    JsonNode root = YAML.readTree(current);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(
        "source",
        "Twilio Pricing API ("
            + base.getHost()
            + "): dearest outbound SMS price of any carrier and number type, dearest outbound"
            + " voice prefix per minute; MMS and WhatsApp kept from the previous table. Synced by"
            + " keybrake prices sync.");
    out.put("as_of", asOf.toString());
    out.put("currency", "USD");
    Map<String, Object> defaults = new LinkedHashMap<>();
    root.get("default")
        .properties()
        .forEach(e -> defaults.put(e.getKey(), e.getValue().decimalValue()));
    Map<String, Object> countries = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> c : root.get("countries").properties()) {
      String iso = c.getKey().toUpperCase(Locale.ROOT);
      Map<String, Object> rates = new LinkedHashMap<>();
      c.getValue().properties().forEach(e -> rates.put(e.getKey(), e.getValue().decimalValue()));
      BigDecimal sms = dearest(get("/v1/Messaging/Countries/" + iso), "outbound_sms_prices");
      BigDecimal voice = dearest(get("/v2/Voice/Countries/" + iso), "outbound_prefix_prices");
      if (sms != null) {
        rates.put("sms", sms);
      }
      if (voice != null) {
        rates.put("voice_per_minute", voice);
      }
      for (Map.Entry<String, Object> r : rates.entrySet()) {
        BigDecimal d = (BigDecimal) defaults.get(r.getKey());
        if (d != null && ((BigDecimal) r.getValue()).compareTo(d) > 0) {
          defaults.put(r.getKey(), r.getValue());
        }
      }
      countries.put(iso, rates);
    }
    out.put("default", defaults);
    out.put("countries", countries);
    String text =
        "# Twilio outbound list prices in USD, synced from Twilio's Pricing API by keybrake prices"
            + " sync.\n"
            + YAML.writeValueAsString(out).replaceFirst("^---\\n", "");
    PriceTable.parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    return text;
  }

  private JsonNode get(String path) throws IOException, Cli.Unreachable {
    HttpRequest r =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", authorization)
            .header("Accept", "application/json")
            .GET()
            .build();
    HttpResponse<String> resp;
    try {
      resp = http.send(r, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new Cli.Unreachable(
          "cannot reach Twilio's Pricing API at " + base + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Cli.Unreachable("interrupted");
    }
    if (resp.statusCode() == 404) {
      return JSON.createObjectNode();
    }
    if (resp.statusCode() != 200) {
      throw new IOException("Twilio's Pricing API answered " + resp.statusCode() + " for " + path);
    }
    return JSON.readTree(resp.body());
  }

  /** The dearest {@code current_price} in a list (nested {@code prices} for SMS), rounded up. */
  static BigDecimal dearest(JsonNode country, String field) {
    BigDecimal max = null;
    for (JsonNode entry : country.path(field)) {
      JsonNode prices = entry.has("prices") ? entry.get("prices") : null;
      for (JsonNode p : prices != null ? prices : JSON.createArrayNode().add(entry)) {
        JsonNode v = p.has("current_price") ? p.get("current_price") : p.get("base_price");
        if (v != null && !v.isNull() && !v.asText().isBlank()) {
          BigDecimal d = new BigDecimal(v.asText());
          max = max == null || d.compareTo(max) > 0 ? d : max;
        }
      }
    }
    return max == null ? null : max.setScale(4, RoundingMode.CEILING);
  }
}
