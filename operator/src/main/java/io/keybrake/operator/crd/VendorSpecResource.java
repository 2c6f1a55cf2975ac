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
 * A vendor as data, the Kubernetes way: its {@code spec} holds the fields of a vendor spec file
 * ({@code docs/vendors.md}). The operator checks it with the same validator Keybrake runs at start
 * and renders the valid ones into the ConfigMap mounted as {@code KEYBRAKE_VENDOR_DIR}; an invalid
 * one gets an {@code Accepted=False} condition with the validator's message. Vendors are
 * platform-wide, so a VendorSpec is accepted only in the control plane's namespace.
 */
@Group(VendorCredential.GROUP)
@Version(VendorCredential.VERSION)
@Kind("VendorSpec")
@Plural("vendorspecs")
@ShortNames("vspec")
@AdditionalPrinterColumn(name = "Vendor", jsonPath = ".spec.id")
@AdditionalPrinterColumn(name = "Upstream", jsonPath = ".spec.upstream")
@AdditionalPrinterColumn(
    name = "Accepted",
    jsonPath = ".status.conditions[?(@.type==\"Accepted\")].status")
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class VendorSpecResource extends CustomResource<VendorSpecFields, KeybrakeStatus>
    implements Namespaced {}
