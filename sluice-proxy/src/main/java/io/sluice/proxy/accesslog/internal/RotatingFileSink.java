package io.sluice.proxy.accesslog.internal;

import io.sluice.api.validate.PathPolicy;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A log file rotated by size and age, numbered like logrotate: the current file is {@code path},
 * the previous ones {@code path.1} (newest) to {@code path.N}; the oldest beyond {@code keep} is
 * deleted ({@code keep: 0} deletes the current file). An I/O error is logged (once until the file
 * works again) and the line dropped; the file is reopened on a later write.
 *
 * <p>The file must stay where configuration may put it (docs/security.md, "Paths"). Every open
 * checks the path against the {@link PathPolicy} again (the file system may have changed since
 * validation: a symbolic link planted, a FIFO made), then opens it append-only without following a
 * link ({@code O_NOFOLLOW}), and keeps it only if it is a regular file with a single link (a hard
 * link could be a file anywhere). Rotation renames and deletes only regular files by this log's
 * own names, and the current file only if it is still the one this sink opened; it never replaces
 * anything that is not a regular file.
 *
 * <p>Only the access log writer thread uses it.
 */
final class RotatingFileSink implements AccessLogSink {
  private static final Logger log = LoggerFactory.getLogger(RotatingFileSink.class);
  private static final long RETRY_MILLIS = 5_000;

  private final Path path;
  private final PathPolicy paths;
  private final long maxSize;
  private final long rotateEveryMillis;
  private final int keep;
  private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
  private @Nullable FileChannel channel;
  /** The identity (device and inode) of the file {@link #channel} writes, or null when unknown. */
  private @Nullable Object fileKey;
  private long size;
  private long openedMillis;
  private long failedAt;
  /** After a rotation failed, the file grows past its limits until this time rather than retry on every line. */
  private long rotationRetryMillis;
  private boolean failing;
  private boolean closed;

  /**
   * @param path the file, absolute, in the log directory of {@code paths}
   * @param paths what the file is checked against before each open
   */
  RotatingFileSink(Path path, PathPolicy paths, long maxSize, @Nullable Duration rotateEvery, int keep) {
    this.path = path.toAbsolutePath().normalize();
    this.paths = paths;
    this.maxSize = maxSize;
    this.rotateEveryMillis = rotateEvery == null ? 0 : rotateEvery.toMillis();
    this.keep = keep;
  }

  @Override
  public String key() {
    return path.toString();
  }

  @Override
  public void write(byte[] line, int length) {
    if (closed) return;
    long now = System.currentTimeMillis();
    if (channel == null && !open(now)) return;
    if (size > 0 && now >= rotationRetryMillis
        && (size + length > maxSize || (rotateEveryMillis > 0 && now - openedMillis >= rotateEveryMillis))) {
      if (!rotate(now)) return;
    }
    if (buffer.remaining() < length) flushBuffer();
    if (length > buffer.capacity()) {
      writeFully(ByteBuffer.wrap(line, 0, length));
    } else {
      buffer.put(line, 0, length);
    }
    size += length;
  }

  private boolean open(long now) {
    if (failing && now - failedAt < RETRY_MILLIS) return false;
    try {
      refuseIfNotAllowed();
      Path dir = path.getParent();
      if (dir != null) Files.createDirectories(dir);
      // The directories were checked just before; a link made in between needs write access to the
      // log directory, which must be the gateway's alone (docs/security.md).
      refuseIfNotAllowed();
      FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND,
          LinkOption.NOFOLLOW_LINKS);
      Object key;
      try {
        key = checkOpened();
        size = ch.size();
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
      openedMillis = size == 0 ? now : creationMillis(now);
      channel = ch;
      fileKey = key;
      if (failing) log.info("access log {} is writable again", path);
      failing = false;
      return true;
    } catch (IOException e) {
      fail("cannot open", e, now);
      return false;
    }
  }

  private void refuseIfNotAllowed() throws IOException {
    String problem = paths.problem(PathPolicy.Directory.LOGS, path.toString());
    if (problem != null) throw new RefusedPathException(problem);
  }

  /** Checks what was just opened at {@link #path}: a regular file with one link. Returns its identity. */
  private @Nullable Object checkOpened() throws IOException {
    BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!a.isRegularFile()) throw new RefusedPathException(path + " is " + PathPolicy.typeOf(a) + "; expected a regular file");
    int links = PathPolicy.links(path);
    if (links > 1) {
      throw new RefusedPathException(path + " has " + links + " hard links; expected a file of its own (a link may be a file"
          + " outside the log directory)");
    }
    return a.fileKey();
  }

  /** A path that the policy refuses, or a file that is not one a log may write. */
  private static final class RefusedPathException extends IOException {
    RefusedPathException(String message) {
      super(message);
    }

    @Override
    public String toString() {
      return "refused: " + getMessage();
    }
  }

  private long creationMillis(long now) {
    try {
      return Math.min(now, Files.readAttributes(path, BasicFileAttributes.class).creationTime().toMillis());
    } catch (IOException e) {
      return now;
    }
  }

  private boolean rotate(long now) {
    Object opened = fileKey;
    flushBuffer();
    closeChannel();
    try {
      BasicFileAttributes current = attributes(path);
      if (current == null || !current.isRegularFile() || opened == null || !opened.equals(current.fileKey())) {
        // Moved away or replaced since it was opened: whatever is there now is not this log's to rotate.
        log.warn("access log {} is no longer the file it opened; not rotating it", path);
      } else if (keep == 0) {
        Files.delete(path);
      } else {
        deleteIfRegular(numbered(keep));
        for (int i = keep - 1; i >= 1; i--) moveIfRegular(numbered(i), numbered(i + 1));
        moveIfRegular(path, numbered(1));
      }
    } catch (IOException e) {
      // Keep appending to the current file rather than lose lines.
      log.warn("cannot rotate access log {}: {}; trying again in {} s", path, e.toString(), RETRY_MILLIS / 1000);
      rotationRetryMillis = now + RETRY_MILLIS;
    }
    return open(now);
  }

  private static @Nullable BasicFileAttributes attributes(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** Deletes {@code p} when it is a regular file; anything else there is not a rotated log and is left alone. */
  private static void deleteIfRegular(Path p) throws IOException {
    BasicFileAttributes a = attributes(p);
    if (a == null) return;
    if (!a.isRegularFile()) throw new IOException(p + " is " + PathPolicy.typeOf(a) + ", not a rotated log; left alone");
    Files.delete(p);
  }

  /** Renames the regular file {@code from} to {@code to}, deleting a regular file there first; absent {@code from} is skipped. */
  private static void moveIfRegular(Path from, Path to) throws IOException {
    BasicFileAttributes a = attributes(from);
    if (a == null) return; // fewer files so far than keep
    if (!a.isRegularFile()) throw new IOException(from + " is " + PathPolicy.typeOf(a) + ", not a rotated log; left alone");
    deleteIfRegular(to);
    Files.move(from, to);
  }

  private Path numbered(int i) {
    return path.resolveSibling(path.getFileName() + "." + i);
  }

  @Override
  public void flush() {
    flushBuffer();
  }

  private void flushBuffer() {
    if (buffer.position() == 0) return;
    buffer.flip();
    writeFully(buffer);
    buffer.clear();
  }

  private void writeFully(ByteBuffer b) {
    FileChannel ch = channel;
    if (ch == null) {
      b.position(b.limit());
      return;
    }
    try {
      while (b.hasRemaining()) ch.write(b);
    } catch (IOException e) {
      b.position(b.limit());
      fail("cannot write", e, System.currentTimeMillis());
      closeChannel();
    }
  }

  private void fail(String what, IOException e, long now) {
    if (!failing) log.warn("access log {}: {} ({}); lines are dropped until it works again", path, what, e.toString());
    failing = true;
    failedAt = now;
  }

  private void closeChannel() {
    FileChannel ch = channel;
    channel = null;
    fileKey = null;
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        log.debug("closing {}: {}", path, e.toString());
      }
    }
  }

  @Override
  public void close() {
    if (closed) return;
    flushBuffer();
    closeChannel();
    closed = true;
  }
}
