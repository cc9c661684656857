package io.sluice.proxy.accesslog.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A log file rotated by size and age, numbered like logrotate: the current file is {@code path},
 * the previous ones {@code path.1} (newest) to {@code path.N}; the oldest beyond {@code keep} is
 * deleted. An I/O error is logged (once until the file works again) and the line dropped; the file
 * is reopened on a later write.
 *
 * <p>Only the access log writer thread uses it.
 */
final class RotatingFileSink implements AccessLogSink {
  private static final Logger log = LoggerFactory.getLogger(RotatingFileSink.class);
  private static final long RETRY_MILLIS = 5_000;

  private final Path path;
  private final long maxSize;
  private final long rotateEveryMillis;
  private final int keep;
  private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
  private @Nullable FileChannel channel;
  private long size;
  private long openedMillis;
  private long failedAt;
  private boolean failing;
  private boolean closed;

  RotatingFileSink(Path path, long maxSize, @Nullable Duration rotateEvery, int keep) {
    this.path = path.toAbsolutePath().normalize();
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
    if (size > 0 && (size + length > maxSize || (rotateEveryMillis > 0 && now - openedMillis >= rotateEveryMillis))) {
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
      Path dir = path.getParent();
      if (dir != null) Files.createDirectories(dir);
      FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
      size = ch.size();
      openedMillis = size == 0 ? now : creationMillis(now);
      channel = ch;
      if (failing) log.info("access log {} is writable again", path);
      failing = false;
      return true;
    } catch (IOException e) {
      fail("cannot open", e, now);
      return false;
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
    flushBuffer();
    closeChannel();
    try {
      if (keep == 0) {
        Files.deleteIfExists(path);
      } else {
        Files.deleteIfExists(numbered(keep));
        for (int i = keep - 1; i >= 1; i--) {
          try {
            Files.move(numbered(i), numbered(i + 1), StandardCopyOption.REPLACE_EXISTING);
          } catch (NoSuchFileException ignored) {
            // fewer files so far than keep
          }
        }
        Files.move(path, numbered(1), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      // Keep appending to the current file rather than lose lines.
      log.warn("cannot rotate access log {}: {}", path, e.toString());
    }
    return open(now);
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
