package io.keybrake.store.sqlite;

import io.keybrake.core.key.KeyChange;
import io.keybrake.core.key.KeyCreation;
import io.keybrake.core.key.KeyPage;
import io.keybrake.core.key.KeyQuery;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.store.crypto.CredentialCipher;
import io.keybrake.store.json.JsonColumns;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code SqliteKeyStore} is the key registry in the embedded SQLite file. The vault key itself is
 * never stored, only its hash; the vendor credential is sealed by the {@link CredentialCipher}
 * under the key's id. Every write takes the next position of the change feed ({@code change_seq}).
 * Thread-safe.
 */
public final class SqliteKeyStore implements KeyStore {
  private static final String COLUMNS =
      "id, name, vendor, labels, policy, secret_hash, credential,"
          + " created_s, created_n, expires_s, expires_n, revoked_s, revoked_n";
  private static final String INSERT =
      "INSERT INTO keys ("
          + COLUMNS
          + ", change_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String NEXT_SEQ = "UPDATE key_change_seq SET seq = seq + 1 WHERE id = 1";
  private static final String SEQ = "SELECT seq FROM key_change_seq WHERE id = 1";
  private static final String CHANGES =
      "SELECT change_seq, id, vendor, labels, expires_s, expires_n, revoked_s, revoked_n FROM keys"
          + " WHERE change_seq > ? ORDER BY change_seq LIMIT ?";
  private static final String ORDER = " ORDER BY created_s DESC, created_n DESC, id DESC";
  private static final String INSERT_CREATION =
      "INSERT INTO key_idempotency (idempotency_key, key_id, request_hash, sealed_secret,"
          + " created_s) VALUES (?, ?, ?, ?, ?)";
  private static final String CREATION =
      "SELECT idempotency_key, key_id, request_hash, sealed_secret, created_s FROM key_idempotency"
          + " WHERE idempotency_key = ?";
  static final String INACTIVE =
      " FROM keys WHERE revoked_s < ? OR (revoked_s IS NULL AND expires_s < ?)";
  private static final String BY_HASH = "SELECT " + COLUMNS + " FROM keys WHERE secret_hash = ?";
  private static final String BY_ID = "SELECT " + COLUMNS + " FROM keys WHERE id = ?";
  private static final String ALL =
      "SELECT " + COLUMNS + " FROM keys ORDER BY created_s DESC, created_n DESC, id DESC";
  private static final String REVOKE =
      "UPDATE keys SET revoked_s = ?, revoked_n = ?, change_seq = ? WHERE id = ? AND revoked_s IS"
          + " NULL";
  private static final String UPDATE_POLICY =
      "UPDATE keys SET policy = ?, change_seq = ? WHERE id = ? AND revoked_s IS NULL";
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
          ps.setLong(14, nextSeq(s));
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
          revokeOne(s, id, at);
          return one(s.prepare(BY_ID), id);
        });
  }

  @Override
  public Optional<KeyRecord> updatePolicy(String id, io.keybrake.core.policy.Policy policy) {
    java.util.Objects.requireNonNull(policy);
    return db.write(
        "change a key's policy",
        s -> {
          PreparedStatement ps = s.prepare(UPDATE_POLICY);
          ps.setString(1, JsonColumns.policy(policy));
          ps.setLong(2, nextSeq(s));
          ps.setString(3, id);
          ps.executeUpdate();
          return one(s.prepare(BY_ID), id);
        });
  }

  private static boolean revokeOne(SqlSession s, String id, Instant at) throws SQLException {
    PreparedStatement ps = s.prepare(REVOKE);
    ps.setLong(1, at.getEpochSecond());
    ps.setInt(2, at.getNano());
    ps.setLong(3, nextSeq(s));
    ps.setString(4, id);
    return ps.executeUpdate() == 1;
  }

  /** The next position of the change feed; runs inside the caller's write. */
  private static long nextSeq(SqlSession s) throws SQLException {
    s.prepare(NEXT_SEQ).executeUpdate();
    try (ResultSet rs = s.prepare(SEQ).executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Override
  public KeyPage page(KeyQuery query) {
    SqliteKeyFilter f = SqliteKeyFilter.of(query);
    String sql = "SELECT " + COLUMNS + " FROM keys WHERE " + f.where() + ORDER + " LIMIT ?";
    return db.read(
        "list keys",
        s -> {
          PreparedStatement ps = s.prepare(sql);
          ps.setInt(f.bind(ps, 1), query.limit());
          List<KeyRecord> out = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(row(rs));
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
    SqliteKeyFilter f = SqliteKeyFilter.labels(labels);
    String sql = "SELECT id FROM keys WHERE revoked_s IS NULL AND " + f.where();
    return db.write(
        "revoke keys by label",
        s -> {
          PreparedStatement ps = s.prepare(sql);
          f.bind(ps, 1);
          List<String> ids = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              ids.add(rs.getString(1));
            }
          }
          for (String id : ids) {
            revokeOne(s, id, at);
          }
          return ids;
        });
  }

  @Override
  public List<KeyChange> changesSince(long cursor, int limit) {
    return db.read(
        "read key changes",
        s -> {
          PreparedStatement ps = s.prepare(CHANGES);
          ps.setLong(1, cursor);
          ps.setInt(2, limit);
          List<KeyChange> out = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(
                  new KeyChange(
                      rs.getLong(1),
                      rs.getString(2),
                      rs.getString(3),
                      JsonColumns.labels(rs.getString(4)),
                      instant(rs, 5),
                      instant(rs, 7)));
            }
          }
          return out;
        });
  }

  @Override
  public void create(KeyRecord key, KeyCreation creation) {
    String sealedSecret =
        creation
            .secret()
            .map(v -> cipher.encrypt(key.id(), new VendorCredential.ApiKey(v)))
            .orElse(null);
    db.write(
        "create a key idempotently",
        s -> {
          PreparedStatement ps = s.prepare(INSERT_CREATION);
          ps.setString(1, creation.idempotencyKey());
          ps.setString(2, key.id());
          ps.setString(3, creation.requestHash());
          ps.setString(4, sealedSecret);
          ps.setLong(5, creation.createdAt().getEpochSecond());
          try {
            ps.executeUpdate();
          } catch (SQLException e) {
            if (e.getErrorCode() == SQLITE_CONSTRAINT) {
              throw new IllegalStateException("a creation with this idempotency key exists");
            }
            throw e;
          }
          create(key);
          return null;
        });
  }

  @Override
  public Optional<KeyCreation> findCreation(String idempotencyKey) {
    return db.read(
        "find a key creation",
        s -> {
          PreparedStatement ps = s.prepare(CREATION);
          ps.setString(1, idempotencyKey);
          try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
              return Optional.empty();
            }
            String keyId = rs.getString(2);
            String sealed = rs.getString(4);
            Optional<String> secret =
                sealed == null
                    ? Optional.empty()
                    : Optional.of(
                        ((VendorCredential.ApiKey) cipher.decrypt(keyId, sealed)).secret());
            return Optional.of(
                new KeyCreation(
                    rs.getString(1),
                    keyId,
                    rs.getString(3),
                    secret,
                    Instant.ofEpochSecond(rs.getLong(5))));
          }
        });
  }

  @Override
  public int archive(Instant now, Duration retention, Duration secretWindow) {
    Instant inactiveBefore = now.minus(retention);
    Instant secretsBefore = now.minus(secretWindow);
    return db.write(
        "archive keys",
        s -> {
          PreparedStatement forget =
              s.prepare(
                  "UPDATE key_idempotency SET sealed_secret = NULL"
                      + " WHERE sealed_secret IS NOT NULL AND created_s < ?");
          forget.setLong(1, secretsBefore.getEpochSecond());
          forget.executeUpdate();
          PreparedStatement copy =
              s.prepare(
                  "INSERT OR REPLACE INTO keys_archive SELECT "
                      + COLUMNS
                      + ", change_seq, ?"
                      + INACTIVE);
          copy.setLong(1, now.getEpochSecond());
          copy.setLong(2, inactiveBefore.getEpochSecond());
          copy.setLong(3, inactiveBefore.getEpochSecond());
          copy.executeUpdate();
          PreparedStatement delete = s.prepare("DELETE" + INACTIVE);
          delete.setLong(1, inactiveBefore.getEpochSecond());
          delete.setLong(2, inactiveBefore.getEpochSecond());
          return delete.executeUpdate();
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
