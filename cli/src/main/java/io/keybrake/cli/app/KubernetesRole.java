package io.keybrake.cli.app;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.keybrake.cli.settings.KubernetesMode;
import io.keybrake.controlplane.xds.SecretSource;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.budget.BudgetStore;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.operator.KubernetesControlPlane;
import io.keybrake.operator.keys.KeyEvents;
import java.io.IOException;
import java.time.Clock;
import java.util.function.Supplier;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.KeyStoreScanner;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The Kubernetes part of a control-plane process: {@link KubernetesControlPlane} on a client to the
 * cluster, its webhook and token exchange on their own HTTPS server (nothing else is served there,
 * and they are not served on the plain HTTP port). {@link #close()} stops all of it.
 */
final class KubernetesRole implements AutoCloseable {
  private final KubernetesClient client;
  private final KubernetesControlPlane plane;
  private final Server https;

  private KubernetesRole(KubernetesClient client, KubernetesControlPlane plane, Server https) {
    this.client = client;
    this.plane = plane;
    this.https = https;
  }

  static KubernetesRole start(
      KubernetesMode mode,
      Supplier<KubernetesClient> clients,
      KeyStore keys,
      BudgetStore budgets,
      Ledger ledger,
      AuditLog audit,
      Clock clock,
      KeyEvents events)
      throws IOException {
    KubernetesClient client = clients.get();
    KubernetesControlPlane plane = null;
    try {
      plane =
          KubernetesControlPlane.start(
              client,
              mode.cluster(),
              keys,
              budgets,
              ledger,
              java.util.Optional.of(audit),
              clock,
              events);
      Server https = startHttps(mode, plane.handlers().toArray(Handler[]::new));
      return new KubernetesRole(client, plane, https);
    } catch (IOException | RuntimeException e) {
      if (plane != null) {
        plane.close();
      }
      client.close();
      throw e;
    }
  }

  private static Server startHttps(KubernetesMode mode, Handler[] handlers) throws IOException {
    QueuedThreadPool threads = new QueuedThreadPool(32, 2);
    threads.setName("keybrake-k8s-https");
    threads.setDaemon(true);
    Server server = new Server(threads);
    SslContextFactory.Server tls = new SslContextFactory.Server();
    tls.setKeyStorePath(mode.keystore().toString());
    tls.setKeyStoreType("PKCS12");
    tls.setKeyStorePassword(mode.keystorePassword());
    HttpConfiguration config = new HttpConfiguration();
    config.setSendServerVersion(false);
    // the API server calls the webhook by its Service name, not the name in the certificate's SAN
    // that a browser would check; SNI is not required
    SecureRequestCustomizer secure = new SecureRequestCustomizer();
    secure.setSniHostCheck(false);
    config.addCustomizer(secure);
    ServerConnector connector =
        new ServerConnector(
            server, new SslConnectionFactory(tls, "http/1.1"), new HttpConnectionFactory(config));
    connector.setPort(mode.httpsPort());
    server.addConnector(connector);
    // cert-manager renews the keystore in place: serve the new certificate without a restart
    KeyStoreScanner scanner = new KeyStoreScanner(tls);
    scanner.setScanInterval(60);
    server.addBean(scanner);
    server.setErrorHandler(new JsonErrorHandler());
    server.setHandler(new Handler.Sequence(handlers));
    try {
      server.start();
    } catch (Exception e) {
      try {
        server.stop();
      } catch (Exception ignored) {
        // the start failure is the one to report
      }
      throw new IOException(
          "cannot start the Kubernetes HTTPS server on port " + mode.httpsPort(), e);
    }
    return server;
  }

  /** The vendor-host certificates for SDS ({@link SecretSource#NONE} without a cluster CA). */
  SecretSource secrets() {
    return plane.secrets();
  }

  int httpsPort() {
    return ((ServerConnector) https.getConnectors()[0]).getLocalPort();
  }

  boolean isLeading() {
    return plane.isLeading();
  }

  @Override
  public void close() throws Exception {
    try {
      https.stop();
    } finally {
      try {
        plane.close();
      } finally {
        client.close();
      }
    }
  }
}
