package io.keybrake.store.sqlite;

import io.keybrake.core.budget.Budget;
import io.keybrake.core.budget.BudgetStore;
import io.keybrake.store.budget.BudgetRows;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Fleet and vendor budgets in the embedded SQLite file. Thread-safe. */
public final class SqliteBudgetStore implements BudgetStore {
  private static final String INSERT =
      "INSERT INTO budgets (name, labels, vendor, daily_micros, monthly_micros, created_s,"
          + " created_n, webhook_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String ALL =
      "SELECT name, labels, vendor, daily_micros, monthly_micros, created_s, created_n,"
          + " webhook_url FROM budgets ORDER BY name";
  private static final int SQLITE_CONSTRAINT = 19;

  private final SqliteDatabase db;

  public SqliteBudgetStore(SqliteDatabase db) {
    this.db = Objects.requireNonNull(db);
  }

  @Override
  public void create(Budget budget) {
    boolean created =
        db.write(
            "create a budget",
            s -> {
              PreparedStatement ps = s.prepare(INSERT);
              BudgetRows.bind(ps, budget);
              ps.setLong(6, budget.createdAt().getEpochSecond());
              ps.setInt(7, budget.createdAt().getNano());
              BudgetRows.bindWebhook(ps, 8, budget);
              try {
                ps.executeUpdate();
                return true;
              } catch (SQLException e) {
                if (e.getErrorCode() == SQLITE_CONSTRAINT) {
                  return false;
                }
                throw e;
              }
            });
    if (!created) {
      throw new IllegalStateException("a budget named " + budget.name() + " already exists");
    }
  }

  @Override
  public List<Budget> list() {
    return db.read(
        "list budgets",
        s -> {
          List<Budget> out = new ArrayList<>();
          try (ResultSet rs = s.prepare(ALL).executeQuery()) {
            while (rs.next()) {
              out.add(
                  BudgetRows.withWebhook(
                      BudgetRows.read(rs, Instant.ofEpochSecond(rs.getLong(6), rs.getInt(7))),
                      rs,
                      8));
            }
          }
          return out;
        });
  }
}
