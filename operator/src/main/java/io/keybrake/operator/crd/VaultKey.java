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
 * One vault key, for pods that are not injected or for jobs. The key is written to a Secret this
 * resource owns; deleting the resource revokes the key (a finalizer makes sure).
 */
@Group(VendorCredential.GROUP)
@Version(VendorCredential.VERSION)
@Kind("VaultKey")
@Plural("vaultkeys")
@ShortNames("vkey")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase")
@AdditionalPrinterColumn(name = "Policy", jsonPath = ".spec.policy")
@AdditionalPrinterColumn(name = "Spent", jsonPath = ".status.spentUsd")
@AdditionalPrinterColumn(name = "Cap", jsonPath = ".status.capUsd")
@AdditionalPrinterColumn(name = "Key", jsonPath = ".status.keyId", priority = 1)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class VaultKey extends CustomResource<VaultKeySpec, VaultKeyStatus> implements Namespaced {}
