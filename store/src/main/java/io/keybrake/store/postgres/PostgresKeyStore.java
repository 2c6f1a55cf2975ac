package io.keybrake.store.postgres;

import io.keybrake.core.key.KeyChange;
import io.keybrake.core.key.KeyCreation;
import io.keybrake.core.key.KeyPage;
import io.keybrake.core.key.KeyQuery;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.store.crypto.CredentialCipher;
import io.keybrake.store.json.JsonColumns;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
      "UPDATE keys SET revoked_at = ?, revoked_nano = ?, change_seq = nextval('keys_change_seq')"
          + " WHERE id = ? AND revoked_at IS NULL";
  private static final String UPDATE_POLICY =
      "UPDATE keys SET policy = ?::jsonb, change_seq = nextval('keys_change_seq')"
          + " WHERE id = ? AND revoked_at IS NULL";
  private static final String CHANGES =
      "SELECT change_seq, id, vendor, labels::text, expires_at, expires_nano, revoked_at,"
          + " revoked_nano FROM keys WHERE change_seq > ? ORDER BY change_seq LIMIT ?";
  private static final String ORDER = " ORDER BY created_at DESC, created_nano DESC, id DESC";
  private static final String INSERT_CREATION =
      "INSERT INTO key_idempotency (idempotency_key, key_id, request_hash, sealed_secret,"
          + " created_at) VALUES (?, ?, ?, ?, ?)";
  private static final String CREATION =
      "SELECT idempotency_key, key_id, request_hash, sealed_secret, created_at FROM"
          + " key_idempotency WHERE idempotency_key = ?";
  private static final String INACTIVE =
      " FROM keys WHERE revoked_at < ? OR (revoked_at IS NULL AND expires_at < ?)";
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
          insert(c, key, sealed);
          return null;
        });
  }

  private static void insert(Connection c, KeyRecord key, String sealed) throws SQLException {
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

  @Override
  public Optional<KeyRecord> updatePolicy(String id, io.keybrake.core.policy.Policy policy) {
    java.util.Objects.requireNonNull(policy);
    return db.run(
        "change a key's policy",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(UPDATE_POLICY)) {
            ps.setString(1, JsonColumns.policy(policy));
            ps.setString(2, id);
            ps.executeUpdate();
          }
          return one(c, BY_ID, id);
        });
  }

  @Override
  public KeyPage page(KeyQuery query) {
    PostgresKeyFilter f = PostgresKeyFilter.of(query);
    String sql = "SELECT " + COLUMNS + " FROM keys WHERE " + f.where() + ORDER + " LIMIT ?";
    return db.run(
        "list keys",
        c -> {
          List<KeyRecord> out = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(f.bind(ps, 1), query.limit());
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(row(rs));
              }
            }
          }
          return new KeyPage(
              out,
              out.size() == query.limit()
                  ? Optional.of(KeyQuery.Position.of(out.get(out.size() - 1)))
                  : Optional.empty());
        });
  }

  @Override
  public List<String> revokeMatching(Map<String, String> labels, Instant at) {
    if (labels.isEmpty()) {
      throw new IllegalArgumentException("a label selector is required");
    }
    PostgresKeyFilter f = PostgresKeyFilter.labels(labels);
    String sql =
        "UPDATE keys SET revoked_at = ?, revoked_nano = ?,"
            + " change_seq = nextval('keys_change_seq') WHERE revoked_at IS NULL AND "
            + f.where()
            + " RETURNING id";
    return db.run(
        "revoke keys by label",
        c -> {
          List<String> ids = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, PgInstants.timestamp(at));
            ps.setInt(2, at.getNano());
            f.bind(ps, 3);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                ids.add(rs.getString(1));
              }
            }
          }
          return ids;
        });
  }

  @Override
  public List<KeyChange> changesSince(long cursor, int limit) {
    return db.run(
        "read key changes",
        c -> {
          List<KeyChange> out = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(CHANGES)) {
            ps.setLong(1, cursor);
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(
                    new KeyChange(
                        rs.getLong(1),
                        rs.getString(2),
                        rs.getString(3),
                        JsonColumns.labels(rs.getString(4)),
                        PgInstants.get(rs, 5),
                        PgInstants.get(rs, 7)));
              }
            }
          }
          return out;
        });
  }

  @Override
  public void create(KeyRecord key, KeyCreation creation) {
    String sealed = cipher.encrypt(key.id(), key.credential());
    String sealedSecret =
        creation
            .secret()
            .map(v -> cipher.encrypt(key.id(), new VendorCredential.ApiKey(v)))
            .orElse(null);
    db.run(
        "create a key idempotently",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(INSERT_CREATION)) {
            ps.setString(1, creation.idempotencyKey());
            ps.setString(2, key.id());
            ps.setString(3, creation.requestHash());
            ps.setString(4, sealedSecret);
            ps.setObject(5, PgInstants.timestamp(creation.createdAt()));
            ps.executeUpdate();
          } catch (SQLException e) {
            if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
              throw new IllegalStateException("a creation with this idempotency key exists");
            }
            throw e;
          }
          insert(c, key, sealed);
          return null;
        });
  }

  @Override
  public Optional<KeyCreation> findCreation(String idempotencyKey) {
    return db.run(
        "find a key creation",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(CREATION)) {
            ps.setString(1, idempotencyKey);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              String keyId = rs.getString(2);
              String sealedSecret = rs.getString(4);
              Optional<String> secret =
                  sealedSecret == null
                      ? Optional.empty()
                      : Optional.of(
                          ((VendorCredential.ApiKey) cipher.decrypt(keyId, sealedSecret)).secret());
              return Optional.of(
                  new KeyCreation(
                      rs.getString(1),
                      keyId,
                      rs.getString(3),
                      secret,
                      rs.getObject(5, java.time.OffsetDateTime.class).toInstant()));
            }
          }
        });
  }

  @Override
  public int archive(Instant now, Duration retention, Duration secretWindow) {
    Object inactiveBefore = PgInstants.timestamp(now.minus(retention));
    return db.run(
        "archive keys",
        c -> {
          try (PreparedStatement forget =
              c.prepareStatement(
                  "UPDATE key_idempotency SET sealed_secret = NULL"
                      + " WHERE sealed_secret IS NOT NULL AND created_at < ?")) {
            forget.setObject(1, PgInstants.timestamp(now.minus(secretWindow)));
            forget.executeUpdate();
          }
          try (PreparedStatement copy =
              c.prepareStatement(
                  "INSERT INTO keys_archive SELECT *, ?" + INACTIVE + " ON CONFLICT DO NOTHING")) {
            copy.setObject(1, PgInstants.timestamp(now));
            copy.setObject(2, inactiveBefore);
            copy.setObject(3, inactiveBefore);
            copy.executeUpdate();
          }
          try (PreparedStatement delete = c.prepareStatement("DELETE" + INACTIVE)) {
            delete.setObject(1, inactiveBefore);
            delete.setObject(2, inactiveBefore);
            return delete.executeUpdate();
          }
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
