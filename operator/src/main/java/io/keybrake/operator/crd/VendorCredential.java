package io.keybrake.operator.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A real vendor credential, by reference to a Secret; meant for the platform team's namespace only
 * (RBAC keeps other teams from reading it). Policies point at it; its secret never leaves the
 * Secret and the registry's encrypted column.
 */
@Group(VendorCredential.GROUP)
@Version(VendorCredential.VERSION)
@Kind("VendorCredential")
@Plural("vendorcredentials")
@ShortNames("vcred")
@AdditionalPrinterColumn(name = "Vendor", jsonPath = ".spec.vendor")
@AdditionalPrinterColumn(name = "Secret", jsonPath = ".spec.secretName")
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class VendorCredential extends CustomResource<VendorCredentialSpec, KeybrakeStatus>
    implements Namespaced {

  /** The API group of every Keybrake kind. */
  public static final String GROUP = "keybrake.dev";

  /** The version of every Keybrake kind. */
  public static final String VERSION = "v1alpha1";
}
