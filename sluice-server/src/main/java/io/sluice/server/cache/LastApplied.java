package io.sluice.server.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
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
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/**
 * The configuration a node last applied, kept in its data directory so that it can start and serve
 * while its shared store (etcd) cannot be reached: the "last-known-good" copy.
 *
 * <p>The file, {@value #FILE_NAME}, is a header line and the content: {@code {"format": 2,
 * "crc32c": HEX, "bytes": N}}, a newline, then N bytes of UTF-8 JSON ({@code revision},
 * {@code writtenAt}, {@code store}, {@code objects}: each object as the stores encode it,
 * {@link ObjectCodec#toJson}). The checksum (CRC-32C) covers exactly the content bytes read back,
 * with no canonical form to agree on. A file whose content is not as long as its header says (torn),
 * whose checksum does not match, that does not parse, or that was written for another store is
 * refused ({@link Unusable}), never applied. Files of the previous format (1: one JSON object whose
 * {@code content} string is summed with SHA-256) are still read, so a node upgraded while its store
 * is away starts from the cache its previous version wrote.
 *
 * <p>The checksum detects damage (a flipped bit, a truncated copy), not an attacker: whoever can
 * write the file can write a matching checksum (docs/security.md). CRC-32C is computed by the CPU's
 * own instruction in every JIT tier; SHA-256 over megabytes took a node with 10,000 routes tens of
 * milliseconds of CPU per revision (docs/benchmarks.md, "Fleet: propagation, joining, watchers").
 *
 * <p>Written atomically: a temporary file in the same directory, created owner-only (mode 600: the
 * objects hold Secrets' inline keys and consumers' credentials, docs/security.md), written and
 * fsync'd, renamed over the old one, then the directory fsync'd so the rename survives a power cut.
 * A reader sees the old file or the new one, never a torn one.
 *
 * <p>Each revision rewrites the whole file, but not the encoding of every object: an object that is
 * the same instance as in the previous write (a store sync's next set shares every object it did not
 * change) reuses the UTF-8 JSON encoded then, so a write costs the changed objects' encoding plus
 * copying, summing and writing the bytes.
 *
 * <p>Threading: {@link #write} is serialised on this object ({@link CacheWriter}'s thread calls it);
 * {@link #read} from any thread.
 */
public final class LastApplied {
  /** The file's name in the data directory. */
  public static final String FILE_NAME = "last-applied.json";
  /** Larger files are refused unread: a configuration is megabytes, not gigabytes. */
  static final long MAX_BYTES = 256L << 20;
  private static final int FORMAT = 2;
  /** The format before this one (still read): a JSON object whose content string is summed with SHA-256. */
  private static final int FORMAT_SHA256 = 1;
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
  /**
   * Each object of the last write, by identity, and its JSON in UTF-8; replaced by each write. By
   * identity: only the very instance written before is known to encode the same (and hashing an
   * {@code ObjectRef} per object was half of a write's remaining CPU). Guarded by {@code this}.
   */
  private Map<ConfigObject<?>, byte[]> encoded = new IdentityHashMap<>();

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
    Map<ConfigObject<?>, byte[]> next = new IdentityHashMap<>(objects.size() * 4 / 3 + 1);
    byte[] head = ("{\"revision\":" + revision + ",\"writtenAt\":" + JSON.writeValueAsString(now.toString()) + ",\"store\":"
        + JSON.writeValueAsString(store) + ",\"objects\":[").getBytes(StandardCharsets.UTF_8);
    byte[][] parts = new byte[objects.size()][];
    long length = head.length + 2L + Math.max(0, objects.size() - 1);
    for (int i = 0; i < objects.size(); i++) {
      ConfigObject<?> o = objects.get(i);
      byte[] json = encoded.get(o);
      if (json == null) json = JSON.writeValueAsBytes(JSON.readTree(ObjectCodec.toJson(o)));
      next.put(o, json);
      parts[i] = json;
      length += json.length;
    }
    if (length > MAX_BYTES) throw new IOException("the configuration of revision " + revision + " takes " + length
        + " bytes; the cache holds at most " + MAX_BYTES);
    byte[] content = new byte[(int) length];
    System.arraycopy(head, 0, content, 0, head.length);
    int at = head.length;
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) content[at++] = ',';
      System.arraycopy(parts[i], 0, content, at, parts[i].length);
      at += parts[i].length;
    }
    content[at++] = ']';
    content[at] = '}';
    ObjectNode header = JSON.createObjectNode();
    header.put("format", FORMAT);
    header.put("crc32c", crc32c(content, 0, content.length));
    header.put("bytes", content.length);
    byte[] headerLine = (JSON.writeValueAsString(header) + "\n").getBytes(StandardCharsets.UTF_8);

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
        ByteBuffer[] bufs = {ByteBuffer.wrap(headerLine), ByteBuffer.wrap(content)};
        while (bufs[1].hasRemaining()) ch.write(bufs);
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
    int newline = indexOf(bytes, (byte) '\n');
    if (newline < 0) return readSha256Format(bytes);
    JsonNode header;
    try {
      header = JSON.readTree(bytes, 0, newline);
    } catch (IOException e) {
      throw new Unusable(file + " is not JSON: " + firstLine(e));
    }
    if (header == null || !header.isObject()) throw new Unusable(file + ": its first line is not a JSON object");
    if (header.path("format").asInt(-1) == FORMAT_SHA256) return readSha256Format(bytes);
    if (header.path("format").asInt(-1) != FORMAT) {
      throw new Unusable(file + ": format " + header.path("format") + " is not one this version reads (" + FORMAT_SHA256 + ", "
          + FORMAT + ")");
    }
    JsonNode sum = header.get("crc32c");
    JsonNode size = header.get("bytes");
    if (sum == null || !sum.isTextual() || size == null || !size.canConvertToLong()) {
      throw new Unusable(file + ": expected the header fields crc32c (a string) and bytes (a number)");
    }
    long length = bytes.length - (newline + 1L);
    if (length != size.asLong()) {
      throw new Unusable(file + " is torn: its content has " + length + " bytes, its header says " + size.asLong());
    }
    String actual = crc32c(bytes, newline + 1, (int) length);
    if (!actual.equals(sum.asText())) {
      throw new Unusable(file + " fails its checksum (the content's CRC-32C is " + actual + ", the file says " + sum.asText()
          + "): it was damaged or edited");
    }
    return parse(new String(bytes, newline + 1, (int) length, StandardCharsets.UTF_8));
  }

  /** A file of format 1 (the previous version's): one JSON object whose content string is summed with SHA-256. */
  private Cached readSha256Format(byte[] bytes) throws Unusable {
    JsonNode outer;
    try {
      outer = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new Unusable(file + " is not JSON: " + firstLine(e));
    }
    if (outer == null || !outer.isObject()) throw new Unusable(file + " is not a JSON object");
    if (outer.path("format").asInt(-1) != FORMAT_SHA256) {
      throw new Unusable(file + ": format " + outer.path("format") + " is not one this version reads (" + FORMAT_SHA256 + ", "
          + FORMAT + ")");
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

  private static int indexOf(byte[] bytes, byte b) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == b) return i;
    }
    return -1;
  }

  private static String crc32c(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    return HexFormat.of().toHexDigits((int) crc.getValue());
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
