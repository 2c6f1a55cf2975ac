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
  private final boolean localGateway;

  /**
   * The service Envoy reaches: a response header {@code x-keybrake-upstream} comes from the vendor
   * there and is not trusted; Envoy's {@code response.flags} say whether a call was sent.
   */
  public KeybrakeExternalProcessor(DecisionPipeline pipeline, StreamMetrics metrics) {
    this(pipeline, metrics, false);
  }

  private KeybrakeExternalProcessor(
      DecisionPipeline pipeline, StreamMetrics metrics, boolean localGateway) {
    this.pipeline = pipeline;
    this.metrics = metrics;
    this.localGateway = localGateway;
  }

  /**
   * The same service for this process's own local gateway, which marks a call that never left the
   * machine with {@code x-keybrake-upstream: not-sent} (after dropping any vendor header of that
   * name); only this instance trusts that header.
   */
  public KeybrakeExternalProcessor forLocalGateway() {
    return new KeybrakeExternalProcessor(pipeline, metrics, true);
  }

  @Override
  public StreamObserver<ProcessingRequest> process(
      StreamObserver<ProcessingResponse> responseObserver) {
    return new ProcessStream(pipeline, responseObserver, metrics, localGateway);
  }
}
