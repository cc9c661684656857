package io.sluice.store.sqlite.internal;

import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.store.HistoryEntry;
import io.sluice.store.ObjectChange;
import io.sluice.store.RevisionInfo;
import io.sluice.store.StoreException;
import io.sluice.store.WatchEvent;
import io.sluice.store.internal.ChangePlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The SQLite file: every revision and every version of every object.
 *
 * <p>Schema: {@code revisions} (revision, time, author, message) has one row per revision;
 * {@code versions} (kind, name, revision, deleted, json) one row per object changed by a revision,
 * a deletion with {@code deleted = 1} and no JSON. History is {@code versions}; the objects at
 * revision R are, per object, its latest version up to R unless that is a deletion (index
 * {@code versions_by_object} makes that one index scan).
 *
 * <p>WAL journal with {@code synchronous=FULL}: a commit returns after the WAL is synced, so an
 * acknowledged revision survives a killed process and a power loss; one transaction per revision.
 *
 * <p>One connection, used by one thread at a time (a lock); every statement is bounded by
 * revisions, so reads need no transaction of their own to be consistent.
 */
public final class Database implements AutoCloseable {
  private static final int SCHEMA_VERSION = 1;
  private static final String INSERT_REVISION = "INSERT INTO revisions (revision, time, author, message) VALUES (?, ?, ?, ?)";
  private static final String INSERT_VERSION = "INSERT INTO versions (kind, name, revision, deleted, json) VALUES (?, ?, ?, ?, ?)";
  /** Below this much free space a failed statement is put down to a full disk. */
  private static final long LOW_SPACE_BYTES = 1024 * 1024;
  private static final Comparator<WatchEvent.Item> ITEM_ORDER = Comparator.comparing(WatchEvent.Item::ref);

  private final Path file;
  private final Connection conn;
  private final ReentrantLock lock = new ReentrantLock();

  private Database(Path file, Connection conn) {
    this.file = file;
    this.conn = conn;
  }

  /** Opens (creating when absent) the database in {@code file}. */
  public static Database open(Path file) {
    return open(file, config -> {});
  }

  /**
   * Opens the database with {@code tuning} applied to the connection's settings after the store's
   * own; tests use it to cap the database's size ({@code max_page_count}), which makes SQLite
   * report a full disk the way a real one does.
   */
  static Database open(Path file, Consumer<SQLiteConfig> tuning) {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    config.setBusyTimeout(5_000);
    config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
    tuning.accept(config);
    Connection conn = null;
    try {
      conn = config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
      schema(conn, file);
      changeRequestsTable(conn);
      return new Database(file, conn);
    } catch (SQLException e) {
      closeQuietly(conn, e);
      throw new StoreException("cannot open the store database " + file + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(conn, e);
      throw e;
    }
  }

  private static void schema(Connection conn, Path file) throws SQLException {
    try (Statement s = conn.createStatement()) {
      int version;
      try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
        version = rs.getInt(1);
      }
      if (version > SCHEMA_VERSION) {
        throw new StoreException("the store database " + file + " has schema version " + version
            + ", written by a newer sluice; this one reads up to version " + SCHEMA_VERSION);
      }
      if (version == SCHEMA_VERSION) return;
      conn.setAutoCommit(false);
      s.executeUpdate("""
          CREATE TABLE revisions (
            revision INTEGER PRIMARY KEY,
            time     INTEGER NOT NULL,  -- milliseconds since the epoch
            author   TEXT NOT NULL,
            message  TEXT NOT NULL
          )""");
      s.executeUpdate("""
          CREATE TABLE versions (
            kind     TEXT NOT NULL,     -- as written in objects: Route, Upstream, ...
            name     TEXT NOT NULL,
            revision INTEGER NOT NULL REFERENCES revisions (revision),
            deleted  INTEGER NOT NULL,  -- 1: the object was deleted at this revision, json is NULL
            json     TEXT               -- the object as ObjectCodec writes it
          )""");
      s.executeUpdate("CREATE UNIQUE INDEX versions_by_object ON versions (kind, name, revision)");
      s.executeUpdate("CREATE INDEX versions_by_revision ON versions (revision)");
      s.executeUpdate("PRAGMA user_version = " + SCHEMA_VERSION);
      conn.commit();
      conn.setAutoCommit(true);
    }
  }

  /**
   * The change requests' table. Not part of the schema version: a table older versions do not read
   * leaves the database readable by them, and one written before it came is given it here.
   */
  private static void changeRequestsTable(Connection conn) throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.executeUpdate("""
          CREATE TABLE IF NOT EXISTS change_requests (
            id      INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, even after a row is gone
            version INTEGER NOT NULL,                   -- compared and incremented by every update
            doc     TEXT NOT NULL                       -- the change request as ChangeRequestJson writes it
          )""");
    }
  }

  /** A change request's row. */
  public record ChangeRequestRow(long id, long version, String doc) {}

  /** Stores {@code doc} as a new change request at version 1 and returns its id. */
  public long insertChangeRequest(String doc) {
    lock.lock();
    try (PreparedStatement s = conn.prepareStatement("INSERT INTO change_requests (version, doc) VALUES (1, ?)")) {
      s.setString(1, doc);
      s.executeUpdate();
      try (Statement q = conn.createStatement(); ResultSet rs = q.executeQuery("SELECT last_insert_rowid()")) {
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw failed("write a change request", e);
    } finally {
      lock.unlock();
    }
  }

  /** Replaces change request {@code id} with {@code doc} if it is at {@code version}; false when it is not (or absent). */
  public boolean updateChangeRequest(long id, long version, String doc) {
    lock.lock();
    try (PreparedStatement s = conn.prepareStatement("UPDATE change_requests SET version = version + 1, doc = ? WHERE id = ? AND version = ?")) {
      s.setString(1, doc);
      s.setLong(2, id);
      s.setLong(3, version);
      return s.executeUpdate() == 1;
    } catch (SQLException e) {
      throw failed("write change request " + id, e);
    } finally {
      lock.unlock();
    }
  }

  /** Change request {@code id}'s row, or null. */
  public @Nullable ChangeRequestRow changeRequest(long id) {
    List<ChangeRequestRow> rows = changeRequestRows("SELECT id, version, doc FROM change_requests WHERE id = ?", id);
    return rows.isEmpty() ? null : rows.getFirst();
  }

  /** Every change request's row, by id. */
  public List<ChangeRequestRow> changeRequests() {
    return changeRequestRows("SELECT id, version, doc FROM change_requests WHERE id > ? ORDER BY id", 0);
  }

  private List<ChangeRequestRow> changeRequestRows(String sql, long parameter) {
    return read(() -> {
      try (PreparedStatement s = conn.prepareStatement(sql)) {
        s.setLong(1, parameter);
        List<ChangeRequestRow> out = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) out.add(new ChangeRequestRow(rs.getLong(1), rs.getLong(2), rs.getString(3)));
        }
        return out;
      }
    });
  }

  /** The latest revision, 0 when none was written. */
  public long revision() {
    return read(() -> {
      try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(revision) FROM revisions")) {
        return rs.getLong(1);
      }
    });
  }

  /** Writes one revision and the versions it creates, in one transaction. */
  public void write(long revision, Instant time, String author, String message, List<ObjectChange> changes) {
    lock.lock();
    try {
      conn.setAutoCommit(false);
      // Prepared per write, not kept: sqlite-jdbc closes a statement whose execution failed (a full
      // disk), and a kept one would then fail every later write. Preparing costs microseconds next
      // to the synced commit.
      try (PreparedStatement insertRevision = conn.prepareStatement(INSERT_REVISION);
          PreparedStatement insertVersion = conn.prepareStatement(INSERT_VERSION)) {
        insertRevision.setLong(1, revision);
        insertRevision.setLong(2, time.toEpochMilli());
        insertRevision.setString(3, author);
        insertRevision.setString(4, message);
        insertRevision.executeUpdate();
        for (ObjectChange c : changes) {
          if (c.op() == ObjectChange.Op.UNCHANGED) continue;
          ConfigObject<?> after = c.after();
          insertVersion.setString(1, c.ref().kind().displayName());
          insertVersion.setString(2, c.ref().name());
          insertVersion.setLong(3, revision);
          insertVersion.setInt(4, after == null ? 1 : 0);
          insertVersion.setString(5, after == null ? null : ObjectCodec.toJson(after));
          insertVersion.addBatch();
        }
        insertVersion.executeBatch();
        conn.commit();
      } catch (SQLException | RuntimeException e) {
        // SQLite may have rolled the transaction back itself (it does on SQLITE_FULL), so the
        // rollback and the COMMIT that ends manual-commit mode can fail too. Their errors are kept
        // as suppressed: the first error is the one that says what went wrong.
        try {
          conn.rollback();
        } catch (SQLException r) {
          e.addSuppressed(r);
        }
        try {
          conn.setAutoCommit(true);
        } catch (SQLException r) {
          e.addSuppressed(r);
        }
        throw e;
      }
      conn.setAutoCommit(true);
    } catch (SQLException e) {
      throw failed("write revision " + revision, e);
    } finally {
      lock.unlock();
    }
  }

  /** Every object at {@code revision}, in dependency order. */
  public List<ConfigObject<?>> objectsAt(long revision) {
    return read(() -> {
      List<ConfigObject<?>> out = new ArrayList<>();
      // SQLite takes the bare columns (deleted, json) from the row that has the MAX.
      try (PreparedStatement s = conn.prepareStatement("""
          SELECT kind, name, revision, json FROM (
            SELECT kind, name, MAX(revision) AS revision, deleted, json FROM versions
            WHERE revision <= ? GROUP BY kind, name)
          WHERE deleted = 0""")) {
        s.setLong(1, revision);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) out.add(decode(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4)));
        }
      }
      out.sort(Comparator.comparing(o -> new ObjectRef(o.kind(), o.name())));
      return out;
    });
  }

  /** The revision of the last version of {@code ref} (a deletion for an absent object), 0 when it never existed. */
  public long lastChange(ObjectRef ref) {
    return read(() -> {
      try (PreparedStatement s = conn.prepareStatement("SELECT MAX(revision) FROM versions WHERE kind = ? AND name = ?")) {
        s.setString(1, ref.kind().displayName());
        s.setString(2, ref.name());
        try (ResultSet rs = s.executeQuery()) {
          return rs.getLong(1);
        }
      }
    });
  }

  public List<HistoryEntry> history(ObjectRef ref) {
    return read(() -> {
      List<HistoryEntry> out = new ArrayList<>();
      try (PreparedStatement s = conn.prepareStatement("""
          SELECT v.revision, v.json, r.time, r.author, r.message
          FROM versions v JOIN revisions r ON r.revision = v.revision
          WHERE v.kind = ? AND v.name = ? ORDER BY v.revision""")) {
        s.setString(1, ref.kind().displayName());
        s.setString(2, ref.name());
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            long revision = rs.getLong(1);
            String json = rs.getString(2);
            ConfigObject<?> o = json == null ? null : decode(ref.kind().displayName(), ref.name(), revision, json);
            out.add(new HistoryEntry(revision, Instant.ofEpochMilli(rs.getLong(3)), rs.getString(4), rs.getString(5), o));
          }
        }
      }
      return out;
    });
  }

  public List<RevisionInfo> revisions(long afterRevision, int limit) {
    return read(() -> {
      record Row(long revision, Instant time, String author, String message, List<ObjectRef> objects) {}
      Map<Long, Row> rows = new LinkedHashMap<>();
      try (PreparedStatement s = conn.prepareStatement(
          "SELECT revision, time, author, message FROM revisions WHERE revision > ? ORDER BY revision LIMIT ?")) {
        s.setLong(1, afterRevision);
        s.setInt(2, limit);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            long r = rs.getLong(1);
            rows.put(r, new Row(r, Instant.ofEpochMilli(rs.getLong(2)), rs.getString(3), rs.getString(4), new ArrayList<>()));
          }
        }
      }
      if (rows.isEmpty()) return List.of();
      long last = rows.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
      try (PreparedStatement s = conn.prepareStatement(
          "SELECT revision, kind, name FROM versions WHERE revision > ? AND revision <= ?")) {
        s.setLong(1, afterRevision);
        s.setLong(2, last);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) Objects.requireNonNull(rows.get(rs.getLong(1)), "revision without a revisions row").objects().add(new ObjectRef(kind(rs.getString(2)), rs.getString(3)));
        }
      }
      return rows.values().stream()
          .map(r -> new RevisionInfo(r.revision(), r.time(), r.author(), r.message(), r.objects().stream().sorted().toList()))
          .toList();
    });
  }

  /** The events of revisions {@code from} to {@code from + count - 1} that exist, in order. */
  public List<WatchEvent> events(long from, int count) {
    return read(() -> {
      List<WatchEvent> out = new ArrayList<>();
      try (PreparedStatement s = conn.prepareStatement("""
          SELECT r.revision, r.time, r.author, v.kind, v.name, v.json
          FROM revisions r JOIN versions v ON v.revision = r.revision
          WHERE r.revision >= ? AND r.revision < ? ORDER BY r.revision""")) {
        s.setLong(1, from);
        s.setLong(2, from + count);
        try (ResultSet rs = s.executeQuery()) {
          long current = -1;
          Instant time = null;
          String author = null;
          List<WatchEvent.Item> items = new ArrayList<>();
          while (rs.next()) {
            long revision = rs.getLong(1);
            if (revision != current) {
              if (current >= 0) out.add(event(current, time, author, items));
              current = revision;
              time = Instant.ofEpochMilli(rs.getLong(2));
              author = rs.getString(3);
              items = new ArrayList<>();
            }
            String kind = rs.getString(4);
            String name = rs.getString(5);
            String json = rs.getString(6);
            items.add(new WatchEvent.Item(new ObjectRef(kind(kind), name), json == null ? null : decode(kind, name, revision, json)));
          }
          if (current >= 0) out.add(event(current, time, author, items));
        }
      }
      return out;
    });
  }

  private static WatchEvent event(long revision, @Nullable Instant time, @Nullable String author, List<WatchEvent.Item> items) {
    items.sort(ITEM_ORDER);
    // set from the revision's row (time and author are NOT NULL) before its first item
    return new WatchEvent(revision, Objects.requireNonNull(time), Objects.requireNonNull(author), items);
  }

  @Override
  public void close() {
    lock.lock();
    try {
      conn.close();
    } catch (SQLException e) {
      throw failed("close", e);
    } finally {
      lock.unlock();
    }
  }

  private interface Query<T> {
    T run() throws SQLException;
  }

  private <T> T read(Query<T> q) {
    lock.lock();
    try {
      return q.run();
    } catch (SQLException e) {
      throw failed("read", e);
    } finally {
      lock.unlock();
    }
  }

  private StoreException failed(String what, SQLException e) {
    Path dir = file.toAbsolutePath().getParent();
    long free = usableSpace(dir);
    // SQLite says SQLITE_FULL for most writes that hit ENOSPC, but an I/O error or a plain "SQL
    // error or missing database" for some (the WAL, a commit); the free space tells those apart.
    if (primaryCode(e) == SQLiteErrorCode.SQLITE_FULL.code || free >= 0 && free < LOW_SPACE_BYTES) {
      return new StoreException("cannot " + what + ": the disk holding the data directory " + dir + " is full"
          + (free >= 0 ? " (" + free + " bytes free)" : "") + "; free some space there and try again (SQLite: " + e.getMessage() + ")", e);
    }
    return new StoreException("cannot " + what + " in the store database " + file + ": " + e.getMessage(), e);
  }

  /** SQLite's primary result code of {@code e} (the low byte of an extended code), or -1 when it is not SQLite's. */
  private static int primaryCode(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLiteException s) return s.getResultCode().code & 0xff;
    }
    return -1;
  }

  /** The bytes this process may still write under {@code dir}, or -1 when that cannot be read. */
  private static long usableSpace(@Nullable Path dir) {
    if (dir == null) return -1;
    try {
      return Files.getFileStore(dir).getUsableSpace();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private ConfigObject<?> decode(String kind, String name, long revision, String json) {
    String source = ChangePlan.source(kind, name, revision);
    try {
      List<ConfigObject<?>> read = ObjectCodec.readJson(source, json);
      ConfigObject<?> o = read.getFirst();
      return new ConfigObject<>(o.apiVersion(), o.kind(), o.metadata().withRevision(revision), o.spec(), source);
    } catch (ConfigException e) {
      throw new StoreException("the store database " + file + " holds " + source + ", which cannot be read: " + e.getMessage(), e);
    }
  }

  private Kind kind(String name) {
    Kind k = Kind.fromName(name);
    if (k == null) throw new StoreException("the store database " + file + " holds an object of unknown kind '" + name + "'");
    return k;
  }

  private static void closeQuietly(@Nullable Connection conn, Exception cause) {
    if (conn == null) return;
    try {
      conn.close();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }
}
