package io.keybrake.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PostgresUrlsTest {
  @Test
  void aJdbcUrlIsKept() {
    String url = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    assertThat(PostgresUrls.toJdbc(url)).isEqualTo(url);
  }

  @Test
  void aLibpqUriBecomesJdbcWithUserPasswordAndOptions() {
    assertThat(
            PostgresUrls.toJdbc(
                "postgres://kb:s%40cr%3At@db.internal:6432/keybrake?sslmode=require"))
        .isEqualTo(
            "jdbc:postgresql://db.internal:6432/keybrake?user=kb&password=s%40cr%3At&sslmode=require");
    assertThat(PostgresUrls.toJdbc("postgresql://db/keybrake"))
        .isEqualTo("jdbc:postgresql://db/keybrake");
  }

  @Test
  void errorsNeverRepeatTheUrl() {
    assertThatThrownBy(() -> PostgresUrls.toJdbc("mysql://root:hunter2@db/x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> PostgresUrls.toJdbc("postgres://root:hunter2@/x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("hunter2");
  }
}
