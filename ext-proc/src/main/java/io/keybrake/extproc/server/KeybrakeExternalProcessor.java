package io.keybrake.extproc.server;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;
import io.keybrake.core.pipeline.DecisionPipeline;

/**
 * The {@code envoy.service.ext_proc.v3.ExternalProcessor} service: one {@link ProcessStream} per
 * HTTP exchange. Stateless apart from the pipeline's caches; thread-safe.
 */
public final class KeybrakeExternalProcessor
    extends ExternalProcessorGrpc.ExternalProcessorImplBase {
  private final DecisionPipeline pipeline;
  private final StreamMetrics metrics;

  public KeybrakeExternalProcessor(DecisionPipeline pipeline, StreamMetrics metrics) {
    this.pipeline = pipeline;
    this.metrics = metrics;
  }

  @Override
  public StreamObserver<ProcessingRequest> process(
      StreamObserver<ProcessingResponse> responseObserver) {
    return new ProcessStream(pipeline, responseObserver, metrics);
  }
}
