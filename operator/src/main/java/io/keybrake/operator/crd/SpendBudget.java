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
 * A fleet or vendor budget. The registry's budgets cannot change, so neither can the spec (a CEL
 * transition rule refuses the update); replace it instead.
 */
@Group(VendorCredential.GROUP)
@Version(VendorCredential.VERSION)
@Kind("SpendBudget")
@Plural("spendbudgets")
@ShortNames("sbud")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase")
@AdditionalPrinterColumn(name = "Spent", jsonPath = ".status.spentUsd")
@AdditionalPrinterColumn(name = "Cap", jsonPath = ".status.capUsd")
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class SpendBudget extends CustomResource<SpendBudgetSpec, SpendStatus>
    implements Namespaced {}
