package io.keybrake.store.sqlite;

import io.keybrake.core.key.KeyStore;
import io.keybrake.store.registry.KeyRegistryContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

class SqliteKeyRegistryTest extends KeyRegistryContract {
  @TempDir Path dir;
  private SqliteDatabase db;

  @Override
  protected KeyStore store() {
    db = SqliteDatabase.open(dir);
    return new SqliteKeyStore(db, Fixtures.cipher());
  }

  @AfterEach
  void close() {
    if (db != null) {
      db.close();
    }
  }
}
