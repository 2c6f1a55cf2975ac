package io.keybrake.harness.envoy;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import java.time.Duration;
import java.util.Objects;

/**
 * {@code ExtProcConfig} is the subset of Envoy's ext_proc filter configuration the harness models.
 *
 * <ul>
 *   <li>{@code processingMode}: Keybrake's mode by default (request headers SEND, request body
 *       BUFFERED, response headers SEND, response body BUFFERED, trailers SKIP). Any body mode
 *       other than NONE is treated as BUFFERED: the harness always has whole bodies.
 *   <li>{@code messageTimeout}: 200 ms, Envoy's default; 504 when an answer is late.
 *   <li>{@code maxMessageTimeout}: 0, so {@code override_message_timeout} answers are ignored.
 *   <li>{@code allowModeOverride}: true; {@code failureModeAllow}: false.
 *   <li>{@code mutationRules}: {@link MutationRules#DEFAULTS}.
 *   <li>{@code bufferLimitBytes}: 1 MiB ({@code per_connection_buffer_limit_bytes}); a larger
 *       buffered request body gets 413.
 *   <li>{@code addRequestIdHeaders}: true: like Envoy's connection manager, add {@code
 *       x-forwarded-proto} and {@code x-request-id} when absent before the filter sees the request.
 *   <li>{@code responseAttributes}: none; see {@link #withResponseAttributes}.
 * </ul>
 *
 * Immutable and thread-safe.
 */
public record ExtProcConfig(
    ProcessingMode processingMode,
    Duration messageTimeout,
    Duration maxMessageTimeout,
    boolean allowModeOverride,
    boolean failureModeAllow,
    MutationRules mutationRules,
    int bufferLimitBytes,
    boolean addRequestIdHeaders,
    java.util.List<String> responseAttributes) {

  /** Keybrake's processing mode. */
  public static final ProcessingMode KEYBRAKE_MODE =
      ProcessingMode.newBuilder()
          .setRequestHeaderMode(HeaderSendMode.SEND)
          .setRequestBodyMode(BodySendMode.BUFFERED)
          .setResponseHeaderMode(HeaderSendMode.SEND)
          .setResponseBodyMode(BodySendMode.BUFFERED)
          .setRequestTrailerMode(HeaderSendMode.SKIP)
          .setResponseTrailerMode(HeaderSendMode.SKIP)
          .build();

  public ExtProcConfig {
    Objects.requireNonNull(processingMode, "processingMode");
    Objects.requireNonNull(messageTimeout, "messageTimeout");
    Objects.requireNonNull(maxMessageTimeout, "maxMessageTimeout");
    Objects.requireNonNull(mutationRules, "mutationRules");
    if (messageTimeout.isNegative() || messageTimeout.isZero()) {
      throw new IllegalArgumentException("messageTimeout must be positive");
    }
    if (maxMessageTimeout.isNegative()) {
      throw new IllegalArgumentException("maxMessageTimeout must not be negative");
    }
    responseAttributes = java.util.List.copyOf(responseAttributes);
    if (bufferLimitBytes <= 0) {
      throw new IllegalArgumentException("bufferLimitBytes must be positive");
    }
  }

  /** Envoy's defaults with Keybrake's processing mode. */
  public static ExtProcConfig defaults() {
    return new ExtProcConfig(
        KEYBRAKE_MODE,
        Duration.ofMillis(200),
        Duration.ZERO,
        true,
        false,
        MutationRules.DEFAULTS,
        1024 * 1024,
        true,
        java.util.List.of());
  }

  public ExtProcConfig withProcessingMode(ProcessingMode mode) {
    return new ExtProcConfig(
        mode,
        messageTimeout,
        maxMessageTimeout,
        allowModeOverride,
        failureModeAllow,
        mutationRules,
        bufferLimitBytes,
        addRequestIdHeaders,
        responseAttributes);
  }

  public ExtProcConfig withMessageTimeout(Duration timeout) {
    return new ExtProcConfig(
        processingMode,
        timeout,
        maxMessageTimeout,
        allowModeOverride,
        failureModeAllow,
        mutationRules,
        bufferLimitBytes,
        addRequestIdHeaders,
        responseAttributes);
  }

  public ExtProcConfig withMaxMessageTimeout(Duration max) {
    return new ExtProcConfig(
        processingMode,
        messageTimeout,
        max,
        allowModeOverride,
        failureModeAllow,
        mutationRules,
        bufferLimitBytes,
        addRequestIdHeaders,
        responseAttributes);
  }

  public ExtProcConfig withAllowModeOverride(boolean allow) {
    return new ExtProcConfig(
        processingMode,
        messageTimeout,
        maxMessageTimeout,
        allow,
        failureModeAllow,
        mutationRules,
        bufferLimitBytes,
        addRequestIdHeaders,
        responseAttributes);
  }

  public ExtProcConfig withFailureModeAllow(boolean allow) {
    return new ExtProcConfig(
        processingMode,
        messageTimeout,
        maxMessageTimeout,
        allowModeOverride,
        allow,
        mutationRules,
        bufferLimitBytes,
        addRequestIdHeaders,
        responseAttributes);
  }

  public ExtProcConfig withMutationRules(MutationRules rules) {
    return new ExtProcConfig(
        processingMode,
        messageTimeout,
        maxMessageTimeout,
        allowModeOverride,
        failureModeAllow,
        rules,
        bufferLimitBytes,
        addRequestIdHeaders,
        responseAttributes);
  }

  public ExtProcConfig withBufferLimitBytes(int limit) {
    return new ExtProcConfig(
        processingMode,
        messageTimeout,
        maxMessageTimeout,
        allowModeOverride,
        failureModeAllow,
        mutationRules,
        limit,
        addRequestIdHeaders,
        responseAttributes);
  }

  public ExtProcConfig withAddRequestIdHeaders(boolean add) {
    return new ExtProcConfig(
        processingMode,
        messageTimeout,
        maxMessageTimeout,
        allowModeOverride,
        failureModeAllow,
        mutationRules,
        bufferLimitBytes,
        add,
        responseAttributes);
  }

  /**
   * Attributes sent with the response headers ({@code response_attributes}): the harness models
   * {@code response.flags} (0, or the UF bit after an upstream connection failure) and {@code
   * response.code_details} ({@code via_upstream}, or Envoy's connection-failure details).
   */
  public ExtProcConfig withResponseAttributes(java.util.List<String> names) {
    return new ExtProcConfig(
        processingMode,
        messageTimeout,
        maxMessageTimeout,
        allowModeOverride,
        failureModeAllow,
        mutationRules,
        bufferLimitBytes,
        addRequestIdHeaders,
        names);
  }
}
