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
 * A policy that vault keys ({@link VaultKey}, or pods annotated {@code keybrake.dev/policy}) are
 * issued under. Changing it re-issues its keys under the new policy.
 */
@Group(VendorCredential.GROUP)
@Version(VendorCredential.VERSION)
@Kind("SpendPolicy")
@Plural("spendpolicies")
@ShortNames("spol")
@AdditionalPrinterColumn(name = "Daily cap", jsonPath = ".spec.dailyUsdCap")
@AdditionalPrinterColumn(name = "Total cap", jsonPath = ".spec.totalUsdCap")
@AdditionalPrinterColumn(name = "Credential", jsonPath = ".spec.vendorCredential.name")
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class SpendPolicy extends CustomResource<SpendPolicySpec, KeybrakeStatus>
    implements Namespaced {}
