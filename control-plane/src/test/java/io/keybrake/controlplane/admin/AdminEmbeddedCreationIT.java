package io.keybrake.controlplane.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.audit.ChainVerification;
import io.keybrake.core.key.KeyQuery;
import io.keybrake.core.store.StoreUnavailableException;
import io.keybrake.core.store.UnitOfWork;
import io.keybrake.store.EmbeddedStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /keys} on the embedded store: a key and its audit row are one SQLite transaction
 * (concurrent creations share its commits), so a 201 means both are stored and a failure leaves
 * neither.
 */
class AdminEmbeddedCreationIT {
  private static final String ADMIN = "admin-secret-for-tests-0123456789";

  @TempDir Path dir;

  private EmbeddedStore store;
  private Server server;
  private URI base;
  private volatile String failAuditOfName = "";
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    store = EmbeddedStore.open(dir, Optional.empty(), Clock.systemUTC());
    AuditLog real = store.auditLog();
    AuditLog failing =
        new AuditLog() {
          @Override
          public AuditRecord append(AuditEntry entry) {
            AuditRecord r = real.append(entry); // written, then the transaction must roll it back
            if (failAuditOfName.equals(entry.keyName())) {
              throw new StoreUnavailableException("the audit log failed (test)");
            }
            return r;
          }

          @Override
          public List<AuditRecord> query(AuditQuery query) {
            return real.query(query);
          }

          @Override
          public List<AuditRecord> unpricedEstimates(
              String vendor, java.time.Instant since, long afterSeq, int limit) {
            return real.unpricedEstimates(vendor, since, afterSeq, limit);
          }

          @Override
          public ChainVerification verify() {
            return real.verify();
          }
        };
    UnitOfWork unit =
        new UnitOfWork() {
          @Override
          public <T> T inOne(String what, java.util.function.Supplier<T> work) {
            return store.database().write(what, s -> work.get());
          }
        };
    AdminApi api =
        new AdminApi(
                ADMIN,
                store.keyStore(),
                store.ledger(),
                failing,
                Clock.systemUTC(),
                k -> {},
                k -> {})
            .withUnitOfWork(unit);
    server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setPort(0);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    server.setHandler(api);
    server.start();
    base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
    store.close();
  }

  private HttpResponse<String> create(String name) throws Exception {
    String body =
        "{\"name\":\""
            + name
            + "\",\"vendor\":\"stripe\",\"stripe_secret_key\":\"sk_test_embedded_0001\","
            + "\"policy\":{\"daily_usd_cap\":10,\"allowed_endpoints\":[\"/v1/invoices\"]}}";
    return http.send(
        HttpRequest.newBuilder(base.resolve("/keys"))
            .header("X-Admin-Key", ADMIN)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static KeyQuery all() {
    return new KeyQuery(
        java.util.Map.of(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        KeyQuery.MAX_LIMIT,
        java.time.Instant.now());
  }

  private List<AuditRecord> rows() {
    return store
        .auditLog()
        .query(
            new AuditQuery(
                Optional.empty(), Optional.empty(), Optional.empty(), AuditQuery.MAX_LIMIT));
  }

  @Test
  void concurrentCreationsEachStoreTheirKeyAndTheirAuditRow() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<HttpResponse<String>>> answers = new ArrayList<>();
    for (int i = 0; i < 160; i++) {
      String name = "run-" + i;
      answers.add(pool.submit(() -> create(name)));
    }
    Set<String> ids = new TreeSet<>();
    for (Future<HttpResponse<String>> a : answers) {
      HttpResponse<String> r = a.get();
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      ids.add(AdminServer.JSON.readTree(r.body()).get("id").asText());
    }
    pool.shutdown();

    assertThat(ids).hasSize(160);
    Set<String> stored =
        store.keyStore().page(all()).keys().stream()
            .map(k -> k.id())
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(stored).isEqualTo(ids);
    Set<String> audited =
        rows().stream()
            .filter(r -> "key_created".equals(r.entry().reason()))
            .map(r -> r.entry().keyId())
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(audited).isEqualTo(ids);
    assertThat(store.auditLog().verify().ok()).isTrue();
  }

  @Test
  void aCreationWhoseAuditRowFailsLeavesNoKeyAndNoRow() throws Exception {
    assertThat(create("kept").statusCode()).isEqualTo(201);
    failAuditOfName = "lost";

    HttpResponse<String> r = create("lost");

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).doesNotContain("vault_key");
    assertThat(store.keyStore().page(all()).keys())
        .extracting(k -> k.name())
        .containsExactly("kept");
    assertThat(rows()).extracting(row -> row.entry().keyName()).containsExactly("kept");
    assertThat(store.auditLog().verify().ok()).isTrue();
  }
}
