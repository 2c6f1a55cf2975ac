package io.keybrake.cli.bench;

import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;

/** The floor: an ExternalProcessor that answers every message with "continue" and does nothing. */
final class NoopProcessor extends ExternalProcessorGrpc.ExternalProcessorImplBase {
  @Override
  public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> out) {
    return new StreamObserver<>() {
      @Override
      public void onNext(ProcessingRequest r) {
        ProcessingResponse.Builder b = ProcessingResponse.newBuilder();
        switch (r.getRequestCase()) {
          case REQUEST_HEADERS -> b.setRequestHeaders(HeadersResponse.getDefaultInstance());
          case REQUEST_BODY -> b.setRequestBody(BodyResponse.getDefaultInstance());
          case RESPONSE_HEADERS -> b.setResponseHeaders(HeadersResponse.getDefaultInstance());
          case RESPONSE_BODY -> b.setResponseBody(BodyResponse.getDefaultInstance());
          default -> {
            return;
          }
        }
        out.onNext(b.build());
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        out.onCompleted();
      }
    };
  }
}
