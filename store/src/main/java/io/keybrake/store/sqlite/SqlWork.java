package io.keybrake.store.sqlite;

import java.sql.SQLException;

/** Work done on a {@link SqlSession} inside a read or a write transaction. */
@FunctionalInterface
public interface SqlWork<T> {
  T run(SqlSession session) throws SQLException;
}
