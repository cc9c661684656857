package io.sluice.server.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The configuration a node last applied, kept in its data directory so that it can start and serve
 * while its shared store (etcd) cannot be reached: the "last-known-good" copy.
 *
 * <p>The file, {@value #FILE_NAME}, is JSON: {@code {"format": 1, "sha256": HEX, "content": TEXT}},
 * where {@code content} is itself a JSON document ({@code revision}, {@code writtenAt}, {@code store},
 * {@code objects}: each object as the stores encode it, {@link ObjectCodec#toJson}) kept as a string so
 * that the checksum covers exactly the bytes read back, with no canonical form to agree on. A file
 * whose checksum does not match, that does not parse, or that was written for another store is
 * refused ({@link Unusable}), never applied.
 *
 * <p>Written atomically: a temporary file in the same directory, created owner-only (mode 600: the
 * objects hold Secrets' inline keys and consumers' credentials, docs/security.md), written and
 * fsync'd, renamed over the old one, then the directory fsync'd so the rename survives a power cut.
 * A reader sees the old file or the new one, never a torn one.
 *
 * <p>Each revision rewrites the whole file, but not the encoding of every object: an object that is
 * the same instance as in the previous write (a store sync's next set shares every object it did not
 * change) reuses the JSON encoded then. With 10,000 routes, encoding them all again took a data-plane
 * node far more CPU per one-route change than applying the change (docs/benchmarks.md, "Fleet:
 * propagation, joining, watchers").
 *
 * <p>Threading: {@link #write} is serialised on this object (the store sync's applier calls it);
 * {@link #read} from any thread.
 */
public final class LastApplied {
  /** The file's name in the data directory. */
  public static final String FILE_NAME = "last-applied.json";
  /** Larger files are refused unread: a configuration is megabytes, not gigabytes. */
  static final long MAX_BYTES = 256L << 20;
  private static final int FORMAT = 1;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  /**
   * A configuration read back from the file.
   *
   * @param revision the store revision it was at
   * @param writtenAt when the node wrote it
   * @param store the store it came from ({@code etcd://host:port/prefix}, no credentials)
   * @param objects the objects, each with its {@code metadata.revision}
   */
  public record Cached(long revision, Instant writtenAt, String store, List<ConfigObject<?>> objects) {
    public Cached {
      if (revision < 0) throw new IllegalArgumentException("revision must be >= 0, got " + revision);
      Objects.requireNonNull(writtenAt, "writtenAt");
      Objects.requireNonNull(store, "store");
      objects = List.copyOf(objects);
    }
  }

  /** The file exists but must not be applied; the message names the file and why. */
  public static final class Unusable extends Exception {
    Unusable(String message) {
      super(message);
    }
  }

  private final Path file;
  private final String store;
  /** Each object of the last write, by reference, and its JSON; replaced by each write. Guarded by {@code this}. */
  private Map<ObjectRef, Encoded> encoded = Map.of();

  /** An object as {@link #write} encoded it: the instance, compared by identity, and its JSON. */
  private record Encoded(ConfigObject<?> object, String json) {}

  /**
   * @param dataDir the node's data directory (must exist when writing)
   * @param store the store this node follows, as {@code EtcdConnection.url()} names it; written into the
   *     file and checked on {@link #read}, so a cache of another cluster is never applied
   */
  public LastApplied(Path dataDir, String store) {
    this.file = Objects.requireNonNull(dataDir, "dataDir").resolve(FILE_NAME);
    this.store = Objects.requireNonNull(store, "store");
  }

  /** Where the cache lives. */
  public Path file() {
    return file;
  }

  /**
   * Replaces the file with {@code objects} at {@code revision}, atomically and durably (see the class
   * comment). On failure the previous file is left as it was.
   *
   * @return the time written into the file
   * @throws IOException when the directory cannot be written or synced
   */
  public synchronized Instant write(long revision, List<? extends ConfigObject<?>> objects) throws IOException {
    if (revision < 0) throw new IllegalArgumentException("revision must be >= 0, got " + revision);
    Instant now = Instant.now();
    // The same document as a Jackson tree of {revision, writtenAt, store, objects} would give, built
    // from the objects' JSON so that unchanged objects are not encoded again.
    Map<ObjectRef, Encoded> next = new HashMap<>(objects.size() * 4 / 3 + 1);
    StringBuilder text = new StringBuilder(64 + 256 * objects.size());
    text.append("{\"revision\":").append(revision)
        .append(",\"writtenAt\":").append(JSON.writeValueAsString(now.toString()))
        .append(",\"store\":").append(JSON.writeValueAsString(store))
        .append(",\"objects\":[");
    for (int i = 0; i < objects.size(); i++) {
      ConfigObject<?> o = objects.get(i);
      ObjectRef ref = ObjectRef.of(o);
      Encoded e = encoded.get(ref);
      if (e == null || e.object() != o) e = new Encoded(o, JSON.writeValueAsString(JSON.readTree(ObjectCodec.toJson(o))));
      next.put(ref, e);
      if (i > 0) text.append(',');
      text.append(e.json());
    }
    text.append("]}");
    ObjectNode outer = JSON.createObjectNode();
    outer.put("format", FORMAT);
    String content = text.toString();
    outer.put("sha256", sha256(content));
    outer.put("content", content);
    byte[] bytes = JSON.writeValueAsBytes(outer);

    Path dir = Objects.requireNonNull(file.toAbsolutePath().getParent(), "a file in a directory has a parent");
    boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    // Owner-only from its creation: there is no moment at which another user could open it.
    FileAttribute<?>[] attrs = posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)} : new FileAttribute<?>[0];
    if (!Files.isDirectory(dir)) {
      // The data directory of a node on etcd may hold nothing else yet: owner-only, like the file.
      Files.createDirectories(dir, posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rwx------"))} : new FileAttribute<?>[0]);
    }
    Path tmp = Files.createTempFile(dir, "." + FILE_NAME + ".", ".tmp", attrs);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) ch.write(buf);
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot rename " + tmp + " to " + file + " atomically: " + e.getMessage(), e);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    syncDirectory(dir);
    encoded = next;
    return now;
  }

  /** Makes the rename durable; a file system that cannot sync a directory (not Linux) is left to its own devices. */
  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Not possible on every platform (Windows); the file itself was synced.
    }
  }

  /**
   * Reads the file back.
   *
   * @return the cached configuration, or null when there is no file
   * @throws Unusable naming the file and why it must not be applied: unreadable, too large, not JSON,
   *     a checksum that does not match, objects that do not parse, or written for another store
   */
  public @Nullable Cached read() throws Unusable {
    byte[] bytes;
    try {
      if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return null;
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) throw new Unusable(file + " is not a regular file");
      long size = Files.size(file);
      if (size > MAX_BYTES) throw new Unusable(file + " has " + size + " bytes; expected at most " + MAX_BYTES);
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new Unusable(file + " cannot be read: " + e.getMessage());
    }
    JsonNode outer;
    try {
      outer = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new Unusable(file + " is not JSON: " + firstLine(e));
    }
    if (outer == null || !outer.isObject()) throw new Unusable(file + " is not a JSON object");
    if (outer.path("format").asInt(-1) != FORMAT) {
      throw new Unusable(file + ": format " + outer.path("format") + " is not the one this version writes (" + FORMAT + ")");
    }
    JsonNode sum = outer.get("sha256");
    JsonNode contentNode = outer.get("content");
    if (sum == null || !sum.isTextual() || contentNode == null || !contentNode.isTextual()) {
      throw new Unusable(file + ": expected the fields sha256 and content, both strings");
    }
    String text = contentNode.asText();
    String actual = sha256(text);
    if (!actual.equals(sum.asText())) {
      throw new Unusable(file + " fails its checksum (the content's SHA-256 is " + actual + ", the file says " + sum.asText()
          + "): it was damaged or edited");
    }
    return parse(text);
  }

  private Cached parse(String text) throws Unusable {
    JsonNode content;
    try {
      content = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new Unusable(file + ": its content is not JSON: " + firstLine(e));
    }
    if (!content.path("revision").canConvertToLong() || content.path("revision").asLong() < 0) {
      throw new Unusable(file + ": revision: expected a number >= 0, got " + content.path("revision"));
    }
    String from = content.path("store").asText("");
    if (!from.equals(store)) {
      throw new Unusable(file + " was written for the store " + from + ", not " + store);
    }
    Instant writtenAt;
    try {
      writtenAt = Instant.parse(content.path("writtenAt").asText(""));
    } catch (DateTimeParseException e) {
      throw new Unusable(file + ": writtenAt: expected an instant such as 2026-01-01T00:00:00Z, got " + content.path("writtenAt"));
    }
    JsonNode items = content.path("objects");
    if (!items.isArray()) throw new Unusable(file + ": objects: expected an array");
    List<ConfigObject<?>> objects = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      try {
        objects.addAll(ObjectCodec.readJson(file + " objects[" + i + "]", items.get(i).toString()));
      } catch (ConfigException e) {
        throw new Unusable(file + ": objects[" + i + "] does not parse: " + e.errors().getFirst());
      }
    }
    return new Cached(content.path("revision").asLong(), writtenAt, from, objects);
  }

  private static String firstLine(Exception e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "LastApplied[" + file + "]";
  }
}
