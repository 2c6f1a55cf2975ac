package io.keybrake.operator.crd;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fields of a vendor spec file, as written in YAML ({@code id}, {@code upstream}, {@code
 * key_presentation}, {@code credential}, {@code refusal}, {@code endpoints}, …). The schema types
 * only {@code id} and {@code upstream}; the rest is kept as written and checked by the operator
 * with Keybrake's own validator, whose message lands in the status. Mutable bean for Jackson.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"id", "upstream"})
@PreserveUnknownFields
public class VendorSpecFields {
  @Required
  @Pattern("^[a-z][a-z0-9]{0,31}$")
  @JsonPropertyDescription(
      "The vendor's name: lower-case letters and digits, starting with a letter (a key's"
          + " vendor, the admin API's credential fields, the gateway path prefix).")
  private String id;

  @Required
  @Pattern("^https://.+")
  @JsonPropertyDescription("The vendor's API base URL (https).")
  private String upstream;

  private final Map<String, Object> fields = new LinkedHashMap<>();

  public String getId() {
    return id;
  }

  public void setId(String id) {
    this.id = id;
  }

  public String getUpstream() {
    return upstream;
  }

  public void setUpstream(String upstream) {
    this.upstream = upstream;
  }

  /** Every other field of the spec (endpoints, credential, refusal, …), as written. */
  @JsonAnyGetter
  public Map<String, Object> getFields() {
    return fields;
  }

  @JsonAnySetter
  public void setField(String name, Object value) {
    fields.put(name, value);
  }
}
