package io.keybrake.store.postgres;

import io.keybrake.core.budget.Budget;
import io.keybrake.core.budget.BudgetStore;
import io.keybrake.store.budget.BudgetRows;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Fleet and vendor budgets in PostgreSQL, shared by every instance. Thread-safe. */
public final class PostgresBudgetStore implements BudgetStore {
  private static final String INSERT =
      "INSERT INTO budgets (name, labels, vendor, daily_micros, monthly_micros, created_at,"
          + " created_nano, webhook_url) VALUES (?, ?::jsonb, ?, ?, ?, ?, ?, ?)";
  private static final String ALL =
      "SELECT name, labels::text, vendor, daily_micros, monthly_micros, created_at, created_nano,"
          + " webhook_url FROM budgets ORDER BY name";
  private static final String UNIQUE_VIOLATION = "23505";

  private final PostgresDatabase db;

  public PostgresBudgetStore(PostgresDatabase db) {
    this.db = Objects.requireNonNull(db);
  }

  @Override
  public void create(Budget budget) {
    boolean created =
        db.run(
            "create a budget",
            c -> {
              try (PreparedStatement ps = c.prepareStatement(INSERT)) {
                BudgetRows.bind(ps, budget);
                ps.setTimestamp(6, Timestamp.from(budget.createdAt()));
                ps.setInt(7, budget.createdAt().getNano());
                BudgetRows.bindWebhook(ps, 8, budget);
                ps.executeUpdate();
                return true;
              } catch (SQLException e) {
                if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
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
    return db.run(
        "list budgets",
        c -> {
          List<Budget> out = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(ALL);
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(
                  BudgetRows.withWebhook(
                      BudgetRows.read(
                          rs,
                          rs.getTimestamp(6)
                              .toInstant()
                              .with(java.time.temporal.ChronoField.NANO_OF_SECOND, rs.getInt(7))),
                      rs,
                      8));
            }
          }
          return out;
        });
  }
}
