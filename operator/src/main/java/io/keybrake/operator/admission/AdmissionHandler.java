package io.keybrake.operator.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Objects;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code POST /k8s/mutate-pods} (the MutatingWebhookConfiguration's path) with {@link
 * PodInjector}. Other paths are declined. Thread-safe.
 */
public final class AdmissionHandler extends Handler.Abstract {
  public static final String PATH = "/k8s/mutate-pods";
  static final int MAX_BODY_BYTES = 4 * 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(AdmissionHandler.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PodInjector injector;

  public AdmissionHandler(PodInjector injector) {
    this.injector = Objects.requireNonNull(injector);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws IOException {
    if (!PATH.equals(Request.getPathInContext(request))) {
      return false;
    }
    if (!"POST".equals(request.getMethod())) {
      JsonHttp.error(response, callback, 405, "method_not_allowed", "POST an AdmissionReview");
      return true;
    }
    byte[] body = JsonHttp.readBody(request, MAX_BODY_BYTES);
    if (body == null) {
      JsonHttp.error(response, callback, 413, "too_large", "the AdmissionReview is too large");
      return true;
    }
    JsonNode review;
    try {
      review = JSON.readTree(body);
    } catch (IOException e) {
      JsonHttp.error(response, callback, 400, "invalid_request", "the body is not JSON");
      return true;
    }
    if (review == null || !review.path("request").isObject()) {
      JsonHttp.error(response, callback, 400, "invalid_request", "not an AdmissionReview");
      return true;
    }
    JsonNode answer = injector.review(review);
    LOG.debug(
        "k8s: admission {} allowed={}",
        review.path("request").path("uid").asText(),
        answer.path("response").path("allowed").asBoolean());
    JsonHttp.send(response, callback, 200, "application/json", answer.toString());
    return true;
  }
}
