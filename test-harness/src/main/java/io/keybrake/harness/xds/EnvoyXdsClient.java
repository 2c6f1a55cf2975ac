package io.keybrake.harness.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.Code;
import com.google.rpc.Status;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * An ADS client that behaves like Envoy on a state-of-the-world stream: it sends its {@link Node}
 * on every request (Envoy's default), subscribes to CDS, then LDS once clusters arrived, then RDS
 * for the route names the listeners reference (and EDS for EDS clusters); it checks each response
 * against Envoy's protos ({@link StrictProto}) and rules ({@link EnvoyRules}) and answers with an
 * ACK ({@code version_info} and {@code response_nonce} of the response) or a NACK (the last
 * accepted version, the nonce, and {@code error_detail}). A NACKed response changes nothing.
 *
 * <p>Thread-safe. Tests read {@link #state()}, wait with {@link #await}, and inspect {@link
 * #history()}.
 */
public final class EnvoyXdsClient implements AutoCloseable {

  public static final String LDS = EnvoyTypes.typeUrl(Listener.getDescriptor());
  public static final String CDS = EnvoyTypes.typeUrl(Cluster.getDescriptor());
  public static final String RDS = EnvoyTypes.typeUrl(RouteConfiguration.getDescriptor());
  public static final String EDS = EnvoyTypes.typeUrl(ClusterLoadAssignment.getDescriptor());
  public static final String SDS =
      EnvoyTypes.typeUrl(
          io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret.getDescriptor());

  private final Node node;
  private final StrictProto strict = StrictProto.envoy();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  // all guarded by lock
  private XdsState state = XdsState.EMPTY;
  private final List<XdsExchange> history = new ArrayList<>();
  private final Map<String, String> lastNonce = new HashMap<>();
  private final Map<String, Set<String>> subscriptions = new HashMap<>();
  private final Map<String, io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret>
      secrets = new HashMap<>();
  private Set<String> explicitSecrets = Set.of();
  private Throwable streamError;
  private boolean closed;
  private ClientCallStreamObserver<DiscoveryRequest> requests;

  private EnvoyXdsClient(Node node) {
    this.node = node;
  }

  /**
   * Opens the ADS stream and subscribes to clusters, as Envoy does at start.
   *
   * @param cluster Envoy's {@code --service-cluster} ({@code node.cluster})
   */
  public static EnvoyXdsClient connect(Channel channel, String nodeId, String cluster) {
    return connect(channel, Node.newBuilder().setId(nodeId).setCluster(cluster).build());
  }

  /** Opens the ADS stream for this node and subscribes to clusters. */
  public static EnvoyXdsClient connect(Channel channel, Node node) {
    EnvoyXdsClient client = new EnvoyXdsClient(node);
    client.lock.lock();
    try {
      AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(client.observer());
      client.subscribe(CDS, Set.of());
    } finally {
      client.lock.unlock();
    }
    return client;
  }

  public Node node() {
    return node;
  }

  /** What this Envoy has accepted so far. */
  public XdsState state() {
    lock.lock();
    try {
      return state;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Asks for the named SDS secrets, as Envoy does for the {@code sds_secret_configs} of its
   * listeners' TLS contexts.
   */
  public void subscribeSecrets(Set<String> names) {
    lock.lock();
    try {
      explicitSecrets = Set.copyOf(names);
      Set<String> sds = new TreeSet<>(names);
      sds.addAll(ListenerRoutes.secretNames(state.listeners().values()));
      subscribe(SDS, sds);
    } finally {
      lock.unlock();
    }
  }

  /** The SDS secrets accepted so far, by name. */
  public Map<String, io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret> secrets() {
    lock.lock();
    try {
      return Map.copyOf(secrets);
    } finally {
      lock.unlock();
    }
  }

  /** Every response and its ACK or NACK, in arrival order. */
  public List<XdsExchange> history() {
    lock.lock();
    try {
      return List.copyOf(history);
    } finally {
      lock.unlock();
    }
  }

  /** The error that ended the stream, if it ended. */
  public Optional<Throwable> streamError() {
    lock.lock();
    try {
      return Optional.ofNullable(streamError);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until {@code condition} holds for the accepted state, waking on every change (no
   * polling).
   *
   * @return true if it held within {@code timeout}
   */
  public boolean await(Predicate<XdsState> condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (!condition.test(state)) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || streamError != null || closed) {
          return condition.test(state);
        }
        changed.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Waits until the history holds an exchange matching {@code condition}. */
  public boolean awaitExchange(Predicate<XdsExchange> condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (history.stream().noneMatch(condition)) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || streamError != null || closed) {
          return history.stream().anyMatch(condition);
        }
        changed.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Half-closes the stream, as Envoy does on shutdown. */
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

  private ClientResponseObserver<DiscoveryRequest, DiscoveryResponse> observer() {
    return new ClientResponseObserver<>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> stream) {
        requests = stream;
      }

      @Override
      public void onNext(DiscoveryResponse response) {
        lock.lock();
        try {
          handle(response, System.nanoTime());
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
        onError(
            io.grpc.Status.UNAVAILABLE.withDescription("server closed the stream").asException());
      }
    };
  }

  /** Called with the lock held. */
  private void handle(DiscoveryResponse response, long receivedNanos) {
    String type = response.getTypeUrl();
    lastNonce.put(type, response.getNonce());
    Map<String, Message> accepted = new LinkedHashMap<>();
    Optional<String> problem = validate(response, accepted);
    if (problem.isPresent()) {
      history.add(
          new XdsExchange(
              type,
              response.getVersionInfo(),
              response.getNonce(),
              false,
              problem.get(),
              receivedNanos));
      send(
          request(type, state.versions().getOrDefault(type, ""))
              .setErrorDetail(
                  Status.newBuilder()
                      .setCode(Code.INVALID_ARGUMENT_VALUE)
                      .setMessage(problem.get())));
      changed.signalAll();
      return;
    }
    apply(type, response.getVersionInfo(), accepted);
    history.add(
        new XdsExchange(
            type, response.getVersionInfo(), response.getNonce(), true, "", receivedNanos));
    send(request(type, response.getVersionInfo()));
    followDependencies(type);
    changed.signalAll();
  }

  private Optional<String> validate(DiscoveryResponse response, Map<String, Message> out) {
    String type = response.getTypeUrl();
    if (!List.of(LDS, CDS, RDS, EDS, SDS).contains(type)) {
      return Optional.of("unsupported type URL " + type);
    }
    for (int i = 0; i < response.getResourcesCount(); i++) {
      Any any = response.getResources(i);
      Optional<String> strictProblem = strict.checkResource(any, type, "resources[" + i + "]");
      if (strictProblem.isPresent()) {
        return strictProblem;
      }
      Message m;
      Optional<String> ruleProblem;
      String name;
      try {
        if (type.equals(LDS)) {
          Listener l = any.unpack(Listener.class);
          m = l;
          name = l.getName();
          ruleProblem = EnvoyRules.listener(l);
        } else if (type.equals(CDS)) {
          Cluster c = any.unpack(Cluster.class);
          m = c;
          name = c.getName();
          ruleProblem = EnvoyRules.cluster(c);
        } else if (type.equals(RDS)) {
          RouteConfiguration rc = any.unpack(RouteConfiguration.class);
          m = rc;
          name = rc.getName();
          ruleProblem = EnvoyRules.routeConfiguration(rc);
        } else if (type.equals(SDS)) {
          var secret =
              any.unpack(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret.class);
          m = secret;
          name = secret.getName();
          ruleProblem = Optional.empty();
        } else {
          ClusterLoadAssignment cla = any.unpack(ClusterLoadAssignment.class);
          m = cla;
          name = cla.getClusterName();
          ruleProblem = Optional.empty();
        }
      } catch (InvalidProtocolBufferException e) {
        return Optional.of("resource " + i + ": " + e.getMessage());
      }
      if (ruleProblem.isPresent()) {
        return ruleProblem;
      }
      if (out.put(name, m) != null) {
        return Optional.of("duplicate resource name " + name);
      }
    }
    return Optional.empty();
  }

  /** LDS and CDS replace the whole set; RDS, EDS and SDS update the named resources. */
  private void apply(String type, String version, Map<String, Message> resources) {
    if (type.equals(SDS)) {
      resources.forEach(
          (n, m) ->
              secrets.put(n, (io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret) m));
      Map<String, String> versions = new HashMap<>(state.versions());
      versions.put(type, version);
      XdsState s = state;
      state = new XdsState(s.listeners(), s.clusters(), s.routes(), s.endpoints(), versions);
      return;
    }
    Map<String, String> versions = new HashMap<>(state.versions());
    versions.put(type, version);
    XdsState s = state;
    if (type.equals(LDS)) {
      s =
          new XdsState(
              cast(resources, Listener.class), s.clusters(), s.routes(), s.endpoints(), versions);
    } else if (type.equals(CDS)) {
      s =
          new XdsState(
              s.listeners(), cast(resources, Cluster.class), s.routes(), s.endpoints(), versions);
    } else if (type.equals(RDS)) {
      Map<String, RouteConfiguration> routes = new HashMap<>(s.routes());
      routes.putAll(cast(resources, RouteConfiguration.class));
      s = new XdsState(s.listeners(), s.clusters(), routes, s.endpoints(), versions);
    } else {
      Map<String, ClusterLoadAssignment> eds = new HashMap<>(s.endpoints());
      eds.putAll(cast(resources, ClusterLoadAssignment.class));
      s = new XdsState(s.listeners(), s.clusters(), s.routes(), eds, versions);
    }
    state = s;
  }

  private static <T> Map<String, T> cast(Map<String, Message> in, Class<T> type) {
    Map<String, T> out = new HashMap<>();
    in.forEach((k, v) -> out.put(k, type.cast(v)));
    return out;
  }

  /** Envoy's order: LDS after the first clusters; RDS/EDS for the names in use. */
  private void followDependencies(String type) {
    if (type.equals(CDS)) {
      if (!subscriptions.containsKey(LDS)) {
        subscribe(LDS, Set.of());
      }
      Set<String> eds =
          names(
              state.clusters().values(),
              c -> c.getType() == Cluster.DiscoveryType.EDS ? edsName(c) : null);
      resubscribeIfChanged(EDS, eds);
    } else if (type.equals(LDS)) {
      Set<String> rds = ListenerRoutes.names(state.listeners().values());
      resubscribeIfChanged(RDS, rds);
      // Envoy asks for the SDS secrets its listeners' TLS contexts name over ADS
      Set<String> sds = new TreeSet<>(explicitSecrets);
      sds.addAll(ListenerRoutes.secretNames(state.listeners().values()));
      resubscribeIfChanged(SDS, sds);
    }
  }

  private static String edsName(Cluster c) {
    String service = c.getEdsClusterConfig().getServiceName();
    return service.isEmpty() ? c.getName() : service;
  }

  private static <T> Set<String> names(java.util.Collection<T> items, Function<T, String> name) {
    Set<String> out = new TreeSet<>();
    for (T t : items) {
      String n = name.apply(t);
      if (n != null) {
        out.add(n);
      }
    }
    return out;
  }

  private void resubscribeIfChanged(String type, Set<String> names) {
    Set<String> current = subscriptions.get(type);
    if (names.isEmpty() && current == null) {
      return;
    }
    if (!names.equals(current)) {
      subscribe(type, names);
    }
  }

  private void subscribe(String type, Set<String> names) {
    subscriptions.put(type, Set.copyOf(names));
    send(request(type, state.versions().getOrDefault(type, "")));
  }

  private DiscoveryRequest.Builder request(String type, String version) {
    return DiscoveryRequest.newBuilder()
        .setNode(node)
        .setTypeUrl(type)
        .setVersionInfo(version)
        .setResponseNonce(lastNonce.getOrDefault(type, ""))
        .addAllResourceNames(new TreeSet<>(subscriptions.getOrDefault(type, Set.of())));
  }

  private void send(DiscoveryRequest.Builder request) {
    if (!closed && streamError == null && requests != null) {
      requests.onNext(request.build());
    }
  }
}
