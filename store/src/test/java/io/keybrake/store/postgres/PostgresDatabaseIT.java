package io.keybrake.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.store.StoreUnavailableException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class PostgresDatabaseIT {
  @Test
  void instancesStartingTogetherMigrateOnceAndCreateEachPartitionOnce() throws Exception {
    try (TestSchema schema = TestSchema.create()) {
      int instances = 4;
      ExecutorService pool = Executors.newFixedThreadPool(instances);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<PostgresDatabase>> opened = new ArrayList<>();
      try {
        for (int i = 0; i < instances; i++) {
          Callable<PostgresDatabase> start =
              () -> {
                go.await();
                PostgresDatabase db = PostgresDatabase.open(schema.url());
                new PostgresAuditLog(db, Clock.systemUTC());
                return db;
              };
          opened.add(pool.submit(start));
        }
        go.countDown();
        for (Future<PostgresDatabase> f : opened) {
          f.get().close();
        }
      } finally {
        pool.shutdown();
      }
      try (Connection c = schema.connect();
          Statement st = c.createStatement()) {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM schema_version")) {
          rs.next();
          assertThat(rs.getInt(1)).isEqualTo(PostgresMigrations.FILES.size());
        }
        try (ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit'::regclass")) {
          rs.next();
          assertThat(rs.getInt(1)).isEqualTo(AuditPartitions.DAYS_AHEAD + 1);
        }
      }
    }
  }

  @Test
  void anUnreachableServerFailsFastWithoutThePassword() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String url = "postgres://kb:hunter2@127.0.0.1:" + port + "/keybrake";
    long start = System.nanoTime();

    assertThatThrownBy(
            () ->
                PostgresDatabase.open(
                    url,
                    new PostgresDatabase.Settings(
                        2, Duration.ofMillis(500), Duration.ofSeconds(5))))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("PostgreSQL")
        .hasMessageNotContaining("hunter2");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }
}
