package io.keybrake.operator.podkey;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Asks the API server (TokenReview, {@code authentication.k8s.io/v1}) whether a token is a valid
 * projected ServiceAccount token for audience {@code keybrake}, bound to a pod. Only a token bound
 * to a pod names the pod (user extra {@code authentication.kubernetes.io/pod-name} and {@code
 * pod-uid}); a legacy Secret-based token does not and is refused. Thread-safe.
 */
public final class TokenReviewer {
  public static final String AUDIENCE = "keybrake";
  static final String POD_NAME = "authentication.kubernetes.io/pod-name";
  static final String POD_UID = "authentication.kubernetes.io/pod-uid";
  private static final String SA_PREFIX = "system:serviceaccount:";

  private final KubernetesClient client;

  public TokenReviewer(KubernetesClient client) {
    this.client = Objects.requireNonNull(client);
  }

  /** The pod the token belongs to, or empty when the API server does not vouch for it. */
  public Optional<PodIdentity> review(String token) {
    TokenReview review =
        new TokenReviewBuilder()
            .withNewSpec()
            .withToken(token)
            .withAudiences(AUDIENCE)
            .endSpec()
            .build();
    TokenReviewStatus status = client.resource(review).create().getStatus();
    if (status == null || !Boolean.TRUE.equals(status.getAuthenticated())) {
      return Optional.empty();
    }
    if (status.getAudiences() != null
        && !status.getAudiences().isEmpty()
        && !status.getAudiences().contains(AUDIENCE)) {
      return Optional.empty();
    }
    UserInfo user = status.getUser();
    if (user == null || user.getUsername() == null || !user.getUsername().startsWith(SA_PREFIX)) {
      return Optional.empty();
    }
    String[] nsAndSa = user.getUsername().substring(SA_PREFIX.length()).split(":", 2);
    String podName = first(user.getExtra() == null ? null : user.getExtra().get(POD_NAME));
    String podUid = first(user.getExtra() == null ? null : user.getExtra().get(POD_UID));
    if (nsAndSa.length != 2 || podName == null || podUid == null) {
      return Optional.empty();
    }
    return Optional.of(new PodIdentity(nsAndSa[0], nsAndSa[1], podName, podUid));
  }

  private static String first(List<String> values) {
    return values == null || values.isEmpty() ? null : values.get(0);
  }
}
