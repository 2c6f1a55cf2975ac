package io.keybrake.store.budget;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.core.budget.Budget;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The budgets table's row format, shared by the SQLite and PostgreSQL stores: name, labels (sorted
 * JSON), vendor, daily and monthly caps in micro-dollars, creation time. Stateless.
 */
public final class BudgetRows {
  private static final ObjectMapper JSON = new ObjectMapper();

  private BudgetRows() {}

  /** Binds parameters 1-5: name, labels, vendor, daily, monthly. */
  public static void bind(PreparedStatement ps, Budget b) throws SQLException {
    ps.setString(1, b.name());
    try {
      ps.setString(2, JSON.writeValueAsString(new TreeMap<>(b.labels())));
    } catch (JsonProcessingException e) {
      throw new SQLException("cannot encode labels", e);
    }
    if (b.vendor().isPresent()) {
      ps.setString(3, b.vendor().get());
    } else {
      ps.setNull(3, Types.VARCHAR);
    }
    setLong(ps, 4, b.dailyCapMicros());
    setLong(ps, 5, b.monthlyCapMicros());
  }

  /** Reads columns name, labels, vendor, daily, monthly (1-5) and the given creation time. */
  public static Budget read(ResultSet rs, Instant createdAt) throws SQLException {
    Map<String, String> labels;
    try {
      labels = JSON.readValue(rs.getString(2), new TypeReference<TreeMap<String, String>>() {});
    } catch (JsonProcessingException e) {
      throw new SQLException("unreadable budget labels", e);
    }
    return new Budget(
        rs.getString(1),
        labels,
        Optional.ofNullable(rs.getString(3)),
        getLong(rs, 4),
        getLong(rs, 5),
        createdAt);
  }

  private static void setLong(PreparedStatement ps, int i, OptionalLong v) throws SQLException {
    if (v.isPresent()) {
      ps.setLong(i, v.getAsLong());
    } else {
      ps.setNull(i, Types.BIGINT);
    }
  }

  /** Binds the webhook URL (or NULL) at {@code index}. */
  public static void bindWebhook(PreparedStatement ps, int index, Budget b) throws SQLException {
    if (b.webhookUrl().isPresent()) {
      ps.setString(index, b.webhookUrl().get().toString());
    } else {
      ps.setNull(index, Types.VARCHAR);
    }
  }

  /** The budget read by {@link #read} with the webhook URL of column {@code index}. */
  public static Budget withWebhook(Budget b, ResultSet rs, int index) throws SQLException {
    String url = rs.getString(index);
    return url == null
        ? b
        : new Budget(
            b.name(),
            b.labels(),
            b.vendor(),
            b.dailyCapMicros(),
            b.monthlyCapMicros(),
            b.createdAt(),
            Optional.of(java.net.URI.create(url)));
  }

  private static OptionalLong getLong(ResultSet rs, int i) throws SQLException {
    long v = rs.getLong(i);
    return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(v);
  }
}
