package io.keybrake.harness.xds;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * An ADS client on the incremental (delta) protocol, as Envoy with {@code api_type: DELTA_GRPC}: it
 * subscribes to clusters and listeners (wildcard), then to the route tables the listeners name
 * (scoped routes included), applies each response's added and removed resources, and ACKs it. It
 * records every push (type, resources, removals, bytes) so tests and benchmarks can see what one
 * change costs. Thread-safe.
 */
public final class DeltaXdsClient implements AutoCloseable {

  /** One response from the server. */
  public record Push(String typeUrl, int resources, int removed, int bytes, long atNanos) {}

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  // guarded by lock
  private final Map<String, Listener> listeners = new HashMap<>();
  private final Map<String, RouteConfiguration> routes = new HashMap<>();
  private final Map<String, Set<String>> routedByTable = new HashMap<>();
  private final Set<String> routeSubscriptions = new TreeSet<>();
  private final List<Push> pushes = new ArrayList<>();
  private ClientCallStreamObserver<DeltaDiscoveryRequest> requests;
  private Throwable streamError;
  private boolean closed;

  private final Node node;

  private DeltaXdsClient(Node node) {
    this.node = node;
  }

  /**
   * A request carrying the node, as Envoy's default ({@code set_node_on_first_message_only} false).
   */
  private DeltaDiscoveryRequest.Builder request(String typeUrl) {
    return DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(typeUrl);
  }

  /** Opens the delta ADS stream for {@code node} and subscribes to clusters and listeners. */
  public static DeltaXdsClient connect(Channel channel, Node node) {
    DeltaXdsClient c = new DeltaXdsClient(node);
    c.lock.lock();
    try {
      AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(c.observer());
      c.requests.onNext(c.request(EnvoyXdsClient.CDS).build());
      c.requests.onNext(c.request(EnvoyXdsClient.LDS).build());
    } finally {
      c.lock.unlock();
    }
    return c;
  }

  /** The key ids that have a route in the accepted route tables. */
  public Set<String> routedKeyIds() {
    lock.lock();
    try {
      return new XdsState(Map.of(), Map.of(), routes, Map.of(), Map.of()).routedKeyIds();
    } finally {
      lock.unlock();
    }
  }

  /**
   * How many routes the accepted route tables hold, summed over the tables (a key routed in two
   * tables counts twice). Cheap: no set of every id is built.
   */
  public int routeCount() {
    lock.lock();
    try {
      int n = 0;
      for (Set<String> ids : routedByTable.values()) {
        n += ids.size();
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits, waking on every push, until the route tables hold at least {@code count} routes ({@link
   * #routeCount()}). Unlike {@link #await}, costs one addition per table per push, not a set of
   * every routed id, so a benchmark's wait for 100,000 routes does not slow the client down.
   */
  public boolean awaitRouteCount(int count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (routeCount() < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || streamError != null || closed) {
          return routeCount() >= count;
        }
        changed.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** How many route tables this client holds. */
  public int routeTables() {
    lock.lock();
    try {
      return routes.size();
    } finally {
      lock.unlock();
    }
  }

  /** Every push so far, in arrival order. */
  public List<Push> pushes() {
    lock.lock();
    try {
      return List.copyOf(pushes);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits, waking on every push, until no accepted route table routes {@code keyId}. Costs one
   * lookup per table per push (the client indexes each table as it arrives), so the wait does not
   * slow the client down when it holds many routes.
   */
  public boolean awaitUnrouted(String keyId, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (isRouted(keyId)) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || streamError != null || closed) {
          return !isRouted(keyId);
        }
        changed.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  private boolean isRouted(String keyId) {
    for (Set<String> ids : routedByTable.values()) {
      if (ids.contains(keyId)) {
        return true;
      }
    }
    return false;
  }

  /** Waits, waking on every push, until {@code condition} holds for the routed key ids. */
  public boolean await(Predicate<Set<String>> condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (!condition.test(routedKeyIds())) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || streamError != null || closed) {
          return condition.test(routedKeyIds());
        }
        changed.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      if (!closed) {
        closed = true;
        if (streamError == null && requests != null) {
          requests.onCompleted();
        }
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  private void handle(DeltaDiscoveryResponse r) {
    pushes.add(
        new Push(
            r.getTypeUrl(),
            r.getResourcesCount(),
            r.getRemovedResourcesCount(),
            r.getSerializedSize(),
            System.nanoTime()));
    try {
      if (r.getTypeUrl().equals(EnvoyXdsClient.LDS)) {
        for (Resource res : r.getResourcesList()) {
          listeners.put(res.getName(), res.getResource().unpack(Listener.class));
        }
        r.getRemovedResourcesList().forEach(listeners::remove);
      } else if (r.getTypeUrl().equals(EnvoyXdsClient.RDS)) {
        for (Resource res : r.getResourcesList()) {
          RouteConfiguration rc = res.getResource().unpack(RouteConfiguration.class);
          routes.put(res.getName(), rc);
          routedByTable.put(
              res.getName(),
              new XdsState(Map.of(), Map.of(), Map.of(res.getName(), rc), Map.of(), Map.of())
                  .routedKeyIds());
        }
        r.getRemovedResourcesList().forEach(routes::remove);
        r.getRemovedResourcesList().forEach(routedByTable::remove);
      }
    } catch (InvalidProtocolBufferException e) {
      requests.onNext(
          request(r.getTypeUrl())
              .setResponseNonce(r.getNonce())
              .setErrorDetail(com.google.rpc.Status.newBuilder().setMessage(e.getMessage()))
              .build());
      return;
    }
    requests.onNext(request(r.getTypeUrl()).setResponseNonce(r.getNonce()).build());
    if (r.getTypeUrl().equals(EnvoyXdsClient.LDS)) {
      Set<String> wanted = ListenerRoutes.names(listeners.values());
      Set<String> added = new TreeSet<>(wanted);
      added.removeAll(routeSubscriptions);
      if (!added.isEmpty()) {
        routeSubscriptions.addAll(added);
        requests.onNext(request(EnvoyXdsClient.RDS).addAllResourceNamesSubscribe(added).build());
      }
    }
    changed.signalAll();
  }

  private ClientResponseObserver<DeltaDiscoveryRequest, DeltaDiscoveryResponse> observer() {
    return new ClientResponseObserver<>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<DeltaDiscoveryRequest> stream) {
        requests = stream;
      }

      @Override
      public void onNext(DeltaDiscoveryResponse response) {
        lock.lock();
        try {
          if (!closed) {
            handle(response);
          }
        } finally {
          lock.unlock();
        }
      }

      @Override
      public void onError(Throwable t) {
        lock.lock();
        try {
          streamError = t;
          changed.signalAll();
        } finally {
          lock.unlock();
        }
      }

      @Override
      public void onCompleted() {
        lock.lock();
        try {
          closed = true;
          changed.signalAll();
        } finally {
          lock.unlock();
        }
      }
    };
  }
}
