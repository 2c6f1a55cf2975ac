package io.keybrake.store.postgres;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.store.crypto.CredentialCipher;
import io.keybrake.store.json.JsonColumns;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code PostgresKeyStore} is the fleet's key registry in PostgreSQL, with the embedded store's
 * semantics: the vault key itself is never stored, only its hash (unique); the vendor credential is
 * sealed by the {@link CredentialCipher} under the key's id; revoking is idempotent and keeps the
 * first time. Labels and policy are {@code jsonb} in the embedded store's format. Thread-safe.
 */
public final class PostgresKeyStore implements KeyStore {
  private static final String COLUMNS =
      "id, name, vendor, labels::text, policy::text, secret_hash, credential,"
          + " created_at, created_nano, expires_at, expires_nano, revoked_at, revoked_nano";
  private static final String INSERT =
      "INSERT INTO keys (id, name, vendor, labels, policy, secret_hash, credential, created_at,"
          + " created_nano, expires_at, expires_nano, revoked_at, revoked_nano)"
          + " VALUES (?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String BY_HASH = "SELECT " + COLUMNS + " FROM keys WHERE secret_hash = ?";
  private static final String BY_ID = "SELECT " + COLUMNS + " FROM keys WHERE id = ?";
  private static final String ALL =
      "SELECT " + COLUMNS + " FROM keys ORDER BY created_at DESC, created_nano DESC, id DESC";
  private static final String REVOKE =
      "UPDATE keys SET revoked_at = ?, revoked_nano = ? WHERE id = ? AND revoked_at IS NULL";
  private static final String UNIQUE_VIOLATION = "23505";

  private final PostgresDatabase db;
  private final CredentialCipher cipher;

  public PostgresKeyStore(PostgresDatabase db, CredentialCipher cipher) {
    this.db = Objects.requireNonNull(db);
    this.cipher = Objects.requireNonNull(cipher);
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalStateException a key with the same id or secret hash exists
   */
  @Override
  public void create(KeyRecord key) {
    String sealed = cipher.encrypt(key.id(), key.credential());
    db.run(
        "create a key",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            ps.setString(1, key.id());
            ps.setString(2, key.name());
            ps.setString(3, key.vendor());
            ps.setString(4, JsonColumns.labels(key.labels()));
            ps.setString(5, JsonColumns.policy(key.policy()));
            ps.setString(6, key.secretHash());
            ps.setString(7, sealed);
            PgInstants.set(ps, 8, Optional.of(key.createdAt()));
            PgInstants.set(ps, 10, key.expiresAt());
            PgInstants.set(ps, 12, key.revokedAt());
            ps.executeUpdate();
          } catch (SQLException e) {
            if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
              throw new IllegalStateException("a key with this id or secret hash already exists");
            }
            throw e;
          }
          return null;
        });
  }

  @Override
  public Optional<KeyRecord> findBySecretHash(String secretHash) {
    return db.run("find a key", c -> one(c, BY_HASH, secretHash));
  }

  @Override
  public Optional<KeyRecord> findById(String id) {
    return db.run("find a key", c -> one(c, BY_ID, id));
  }

  @Override
  public List<KeyRecord> list() {
    return db.run(
        "list keys",
        c -> {
          List<KeyRecord> out = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(ALL);
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(row(rs));
            }
          }
          return out;
        });
  }

  @Override
  public Optional<KeyRecord> revoke(String id, Instant at) {
    return db.run(
        "revoke a key",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(REVOKE)) {
            ps.setObject(1, PgInstants.timestamp(at));
            ps.setInt(2, at.getNano());
            ps.setString(3, id);
            ps.executeUpdate();
          }
          return one(c, BY_ID, id);
        });
  }

  private Optional<KeyRecord> one(Connection c, String sql, String param) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, param);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(row(rs)) : Optional.empty();
      }
    }
  }

  private KeyRecord row(ResultSet rs) throws SQLException {
    String id = rs.getString(1);
    return new KeyRecord(
        id,
        rs.getString(2),
        rs.getString(3),
        JsonColumns.labels(rs.getString(4)),
        JsonColumns.policy(rs.getString(5)),
        rs.getString(6),
        cipher.decrypt(id, rs.getString(7)),
        PgInstants.get(rs, 8).orElseThrow(),
        PgInstants.get(rs, 10),
        PgInstants.get(rs, 12));
  }
}
