package io.sluice.server.cache;

import io.sluice.api.ConfigObject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the revisions a node applied to its {@link LastApplied} file off the apply path: the store
 * sync's applier hands each applied revision to {@link #offer} and goes on to the next one at once;
 * a thread of this writer's own writes the latest offered revision. A burst of revisions offered
 * while a write runs is written once, at its latest state: only the newest configuration needs to
 * be on disk, and each write replaces the whole file atomically with its checksum
 * ({@link LastApplied#write}), so what is on disk is always one whole revision the node applied.
 *
 * <p>The file therefore trails the gateway by at most one write (milliseconds, or the time to sync a
 * few megabytes to disk): a node killed in that moment restarts from the revision before, which is
 * also a revision it applied, and catches up once the store answers. {@link #close} writes what is
 * still pending, so a node that stops cleanly leaves its latest revision on disk.
 *
 * <p>A write that fails (disk full, directory not writable) is logged and leaves the previous file;
 * the next revision tries again.
 *
 * <p>Threading: {@link #offer} from any thread, never blocking on the disk; one daemon thread at the
 * lowest priority writes (the data plane comes first, docs/architecture.md).
 */
public final class CacheWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CacheWriter.class);
  /** The longest {@link #close} waits for the last write. */
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

  /** One revision to write. */
  private record Pending(long revision, List<? extends ConfigObject<?>> objects) {}

  private final LastApplied cache;
  private final Object lock = new Object();
  /** The latest revision offered and not yet taken by the writer; guarded by {@link #lock}. */
  private @Nullable Pending pending;
  private boolean closed;
  private final Thread thread;
  /** The revision of the last successful write (0 before the first). */
  private volatile long written;

  /** Starts the writer's thread. */
  public CacheWriter(LastApplied cache) {
    this.cache = Objects.requireNonNull(cache, "cache");
    this.thread = Thread.ofPlatform().daemon().priority(Thread.MIN_PRIORITY).name("sluice-cache-writer").start(this::run);
  }

  /**
   * Asks for {@code objects} at {@code revision} to be written; replaces a revision offered earlier
   * that was not taken yet. Returns at once.
   *
   * @throws IllegalArgumentException when {@code revision} is negative
   */
  public void offer(long revision, List<? extends ConfigObject<?>> objects) {
    if (revision < 0) throw new IllegalArgumentException("revision must be >= 0, got " + revision);
    Objects.requireNonNull(objects, "objects");
    synchronized (lock) {
      if (closed) return;
      pending = new Pending(revision, objects);
      lock.notifyAll();
    }
  }

  /** The revision of the last successful write, 0 before the first. Any thread. */
  public long written() {
    return written;
  }

  private void run() {
    while (true) {
      Pending p;
      synchronized (lock) {
        while (pending == null && !closed) {
          try {
            lock.wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        p = pending;
        pending = null;
        if (p == null) return; // closed, nothing left
      }
      write(p);
    }
  }

  private void write(Pending p) {
    try {
      cache.write(p.revision(), p.objects());
      written = p.revision();
    } catch (IOException | RuntimeException e) {
      log.error("cannot write the local cache {} of revision {} (the previous one stays): {}", cache.file(), p.revision(),
          e.toString());
    }
  }

  /** Writes what is pending (waiting up to 10 s for it), then stops. Idempotent. */
  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      lock.notifyAll();
    }
    if (Thread.currentThread() == thread) return;
    try {
      thread.join(CLOSE_WAIT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "CacheWriter[" + cache.file() + "]";
  }
}
