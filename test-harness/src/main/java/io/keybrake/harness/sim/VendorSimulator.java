package io.keybrake.harness.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * {@code VendorSimulator} is an embedded Jetty 12 server on an ephemeral loopback port that plays
 * one vendor API: it records every request it receives, then answers with the vendor's documented
 * response shapes. Subclasses implement {@link #respond}. Forced failures ({@link #failNext}) let
 * tests make the vendor fail. Thread-safe: requests are handled concurrently.
 */
public abstract sealed class VendorSimulator implements AutoCloseable
    permits TwilioSimulator,
        StripeSimulator,
        ResendSimulator,
        VonageSimulator,
        SendGridSimulator,
        AcmeSearchSimulator {
  /** Shared JSON mapper (thread-safe once configured). */
  protected static final ObjectMapper JSON = new ObjectMapper();

  private final List<RecordedRequest> received = new CopyOnWriteArrayList<>();
  private final Object failureLock = new Object();
  private int failuresLeft;
  private int failureStatus;
  private Server server;
  private ServerConnector connector;

  /** Answers one authenticated-or-not request; called after the request is recorded. */
  protected abstract SimResponse respond(RecordedRequest request);

  /** The vendor's error body for a forced failure with {@code status}. */
  protected abstract SimResponse forcedError(int status);

  /** Starts the server on an ephemeral port of 127.0.0.1. Returns this. */
  public synchronized VendorSimulator start() {
    if (server != null) {
      return this;
    }
    Server s = new Server();
    ServerConnector c = new ServerConnector(s);
    c.setHost("127.0.0.1");
    c.setPort(0);
    s.addConnector(c);
    s.setHandler(new Dispatcher());
    try {
      s.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start " + getClass().getSimpleName(), e);
    }
    server = s;
    connector = c;
    return this;
  }

  /** The base URI, e.g. {@code http://127.0.0.1:43121}; the server must be started. */
  public synchronized URI baseUri() {
    if (connector == null) {
      throw new IllegalStateException("not started");
    }
    return URI.create("http://127.0.0.1:" + connector.getLocalPort());
  }

  /** Every request received so far, in arrival order. */
  public List<RecordedRequest> received() {
    return List.copyOf(received);
  }

  /** Forgets recorded requests and pending forced failures. */
  public void clear() {
    received.clear();
    synchronized (failureLock) {
      failuresLeft = 0;
    }
  }

  /** The next {@code count} requests are answered with {@code status} and the vendor's error. */
  public void failNext(int count, int status) {
    synchronized (failureLock) {
      failuresLeft = count;
      failureStatus = status;
    }
  }

  @Override
  public synchronized void close() {
    if (server != null) {
      try {
        server.stop();
      } catch (Exception e) {
        throw new IllegalStateException("cannot stop " + getClass().getSimpleName(), e);
      } finally {
        server = null;
        connector = null;
      }
    }
  }

  private SimResponse forcedFailure() {
    synchronized (failureLock) {
      if (failuresLeft > 0) {
        failuresLeft--;
        return forcedError(failureStatus);
      }
      return null;
    }
  }

  private final class Dispatcher extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      byte[] body;
      try (InputStream in = Content.Source.asInputStream(request)) {
        body = in.readAllBytes();
      }
      List<Map.Entry<String, String>> headers = new ArrayList<>();
      for (HttpField f : request.getHeaders()) {
        headers.add(Map.entry(f.getName(), f.getValue()));
      }
      RecordedRequest recorded =
          new RecordedRequest(
              request.getMethod(),
              request.getHttpURI().getPath(),
              request.getHttpURI().getQuery(),
              headers,
              body);
      received.add(recorded);
      SimResponse answer = forcedFailure();
      if (answer == null) {
        try {
          answer = respond(recorded);
        } catch (RuntimeException e) {
          answer = forcedError(500);
        }
      }
      response.setStatus(answer.status());
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
      for (Map.Entry<String, String> h : answer.headers()) {
        response.getHeaders().add(h.getKey(), h.getValue());
      }
      response.write(true, ByteBuffer.wrap(answer.bytes()), callback);
      return true;
    }
  }
}
