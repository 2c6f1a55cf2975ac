package io.keybrake.harness.envoy;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import java.nio.charset.StandardCharsets;

/** Builders of processor answers for tests. */
final class Answers {
  private Answers() {}

  /** The plain CONTINUE answer of the right type for {@code request}. */
  static ProcessingResponse proceed(ProcessingRequest request) {
    return with(request, CommonResponse.getDefaultInstance());
  }

  /** An answer of the right type for {@code request} carrying {@code common}. */
  static ProcessingResponse with(ProcessingRequest request, CommonResponse common) {
    HeadersResponse headers = HeadersResponse.newBuilder().setResponse(common).build();
    BodyResponse body = BodyResponse.newBuilder().setResponse(common).build();
    ProcessingResponse.Builder b = ProcessingResponse.newBuilder();
    return switch (request.getRequestCase()) {
      case REQUEST_HEADERS -> b.setRequestHeaders(headers).build();
      case REQUEST_BODY -> b.setRequestBody(body).build();
      case RESPONSE_HEADERS -> b.setResponseHeaders(headers).build();
      case RESPONSE_BODY -> b.setResponseBody(body).build();
      default -> throw new IllegalArgumentException(request.getRequestCase().name());
    };
  }

  static HeaderValueOption setRaw(String name, String value) {
    return HeaderValueOption.newBuilder()
        .setHeader(
            HeaderValue.newBuilder()
                .setKey(name)
                .setRawValue(ByteString.copyFrom(value, StandardCharsets.UTF_8)))
        .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
        .build();
  }
}
