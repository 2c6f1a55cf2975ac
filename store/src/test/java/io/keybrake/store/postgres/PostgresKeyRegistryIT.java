package io.keybrake.store.postgres;

import io.keybrake.core.key.KeyStore;
import io.keybrake.store.crypto.CredentialCipher;
import io.keybrake.store.crypto.KeyEncryptionKey;
import io.keybrake.store.registry.KeyRegistryContract;
import org.junit.jupiter.api.AfterEach;

class PostgresKeyRegistryIT extends KeyRegistryContract {
  private TestSchema schema;
  private PostgresDatabase db;

  @Override
  protected KeyStore store() {
    try {
      schema = TestSchema.create();
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    db = PostgresDatabase.open(schema.url());
    return new PostgresKeyStore(db, new CredentialCipher(KeyEncryptionKey.random()));
  }

  @AfterEach
  void close() throws Exception {
    if (db != null) {
      db.close();
    }
    if (schema != null) {
      schema.close();
    }
  }
}
