/**
 * The custom resources of group {@code keybrake.dev}, version {@code v1alpha1}: {@link
 * io.keybrake.operator.crd.VendorCredential}, {@link io.keybrake.operator.crd.SpendPolicy}, {@link
 * io.keybrake.operator.crd.SpendBudget}, {@link io.keybrake.operator.crd.VaultKey} and {@link
 * io.keybrake.operator.crd.VendorSpecResource} (kind {@code VendorSpec}). The CRDs under {@code
 * k8s/crds/} are generated from these classes (fabric8 crd-generator), so the schema, its
 * validation rules and the printer columns are written once, here.
 *
 * <p>Money is a decimal string of US dollars ({@code "50.00"}), never a JSON number: the API server
 * stores numbers as float64, and a cap must stay exact.
 */
package io.keybrake.operator.crd;
