package io.keybrake.store.sqlite;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.store.crypto.CredentialCipher;
import io.keybrake.store.json.JsonColumns;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code SqliteKeyStore} is the key registry in the embedded SQLite file. The vault key itself is
 * never stored, only its hash; the vendor credential is sealed by the {@link CredentialCipher}
 * under the key's id. Thread-safe.
 */
public final class SqliteKeyStore implements KeyStore {
  private static final String COLUMNS =
      "id, name, vendor, labels, policy, secret_hash, credential,"
          + " created_s, created_n, expires_s, expires_n, revoked_s, revoked_n";
  private static final String INSERT =
      "INSERT INTO keys (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String BY_HASH = "SELECT " + COLUMNS + " FROM keys WHERE secret_hash = ?";
  private static final String BY_ID = "SELECT " + COLUMNS + " FROM keys WHERE id = ?";
  private static final String ALL =
      "SELECT " + COLUMNS + " FROM keys ORDER BY created_s DESC, created_n DESC, id DESC";
  private static final String REVOKE =
      "UPDATE keys SET revoked_s = ?, revoked_n = ? WHERE id = ? AND revoked_s IS NULL";
  private static final int SQLITE_CONSTRAINT = 19;

  private final SqliteDatabase db;
  private final CredentialCipher cipher;

  public SqliteKeyStore(SqliteDatabase db, CredentialCipher cipher) {
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
    db.write(
        "create a key",
        s -> {
          PreparedStatement ps = s.prepare(INSERT);
          ps.setString(1, key.id());
          ps.setString(2, key.name());
          ps.setString(3, key.vendor());
          ps.setString(4, JsonColumns.labels(key.labels()));
          ps.setString(5, JsonColumns.policy(key.policy()));
          ps.setString(6, key.secretHash());
          ps.setString(7, sealed);
          setInstant(ps, 8, Optional.of(key.createdAt()));
          setInstant(ps, 10, key.expiresAt());
          setInstant(ps, 12, key.revokedAt());
          try {
            ps.executeUpdate();
          } catch (SQLException e) {
            if (e.getErrorCode() == SQLITE_CONSTRAINT) {
              throw new IllegalStateException("a key with this id or secret hash already exists");
            }
            throw e;
          }
          return null;
        });
  }

  @Override
  public Optional<KeyRecord> findBySecretHash(String secretHash) {
    return db.read("find a key", s -> one(s.prepare(BY_HASH), secretHash));
  }

  @Override
  public Optional<KeyRecord> findById(String id) {
    return db.read("find a key", s -> one(s.prepare(BY_ID), id));
  }

  @Override
  public List<KeyRecord> list() {
    return db.read(
        "list keys",
        s -> {
          List<KeyRecord> out = new ArrayList<>();
          try (ResultSet rs = s.prepare(ALL).executeQuery()) {
            while (rs.next()) {
              out.add(row(rs));
            }
          }
          return out;
        });
  }

  @Override
  public Optional<KeyRecord> revoke(String id, Instant at) {
    return db.write(
        "revoke a key",
        s -> {
          PreparedStatement ps = s.prepare(REVOKE);
          ps.setLong(1, at.getEpochSecond());
          ps.setInt(2, at.getNano());
          ps.setString(3, id);
          ps.executeUpdate();
          return one(s.prepare(BY_ID), id);
        });
  }

  private Optional<KeyRecord> one(PreparedStatement ps, String param) throws SQLException {
    ps.setString(1, param);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(row(rs)) : Optional.empty();
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
        instant(rs, 8).orElseThrow(),
        instant(rs, 10),
        instant(rs, 12));
  }

  private static void setInstant(PreparedStatement ps, int index, Optional<Instant> at)
      throws SQLException {
    if (at.isPresent()) {
      ps.setLong(index, at.get().getEpochSecond());
      ps.setInt(index + 1, at.get().getNano());
    } else {
      ps.setNull(index, Types.INTEGER);
      ps.setNull(index + 1, Types.INTEGER);
    }
  }

  private static Optional<Instant> instant(ResultSet rs, int index) throws SQLException {
    long seconds = rs.getLong(index);
    if (rs.wasNull()) {
      return Optional.empty();
    }
    return Optional.of(Instant.ofEpochSecond(seconds, rs.getInt(index + 1)));
  }
}
