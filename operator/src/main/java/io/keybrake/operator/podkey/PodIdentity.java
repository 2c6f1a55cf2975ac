package io.keybrake.operator.podkey;

/**
 * The pod a projected ServiceAccount token was issued to, as a TokenReview vouches for it.
 *
 * @param namespace the pod's namespace
 * @param serviceAccount the ServiceAccount's name
 * @param podName the pod's name
 * @param podUid the pod's uid
 */
public record PodIdentity(String namespace, String serviceAccount, String podName, String podUid) {}
