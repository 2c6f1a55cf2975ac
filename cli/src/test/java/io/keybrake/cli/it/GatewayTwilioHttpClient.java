package io.keybrake.cli.it;

import com.twilio.http.NetworkHttpClient;
import com.twilio.http.Request;
import com.twilio.http.Response;
import java.util.List;
import java.util.Map;

/**
 * Points twilio-java at the local gateway: the SDK builds {@code https://api.twilio.com/…}; this
 * client sends the same request to {@code http://127.0.0.1:<port>/twilio/…} unchanged otherwise.
 */
final class GatewayTwilioHttpClient extends NetworkHttpClient {
  private final String base;

  GatewayTwilioHttpClient(int port) {
    this.base = "http://127.0.0.1:" + port + "/twilio";
  }

  @Override
  public Response makeRequest(Request request) {
    String url = request.getUrl().replaceFirst("^https://[^/]+", base);
    Request copy = new Request(request.getMethod(), url);
    copy.setAuth(request.getUsername(), request.getPassword());
    for (Map.Entry<String, List<String>> e : request.getPostParams().entrySet()) {
      e.getValue().forEach(v -> copy.addPostParam(e.getKey(), v));
    }
    for (Map.Entry<String, List<String>> e : request.getQueryParams().entrySet()) {
      e.getValue().forEach(v -> copy.addQueryParam(e.getKey(), v));
    }
    for (Map.Entry<String, List<String>> e : request.getHeaderParams().entrySet()) {
      e.getValue().forEach(v -> copy.addHeaderParam(e.getKey(), v));
    }
    return super.makeRequest(copy);
  }
}
