package io.keybrake.operator.reconcile;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/** Compares and copies statuses through the same JSON the API server sees. Thread-safe. */
final class StatusJson {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private StatusJson() {}

  static boolean same(Object a, Object b) {
    return a != null && b != null && JSON.asJson(a).equals(JSON.asJson(b));
  }

  static <T> T copy(T status, Class<T> type) {
    return JSON.unmarshal(JSON.asJson(status), type);
  }
}
