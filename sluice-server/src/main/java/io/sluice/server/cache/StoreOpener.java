package io.sluice.server.cache;

import io.sluice.store.ConfigStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a store that may not answer yet (etcd down while the node starts), on a thread of its own:
 * one attempt after another with exponential backoff, until one succeeds or this is closed. Start-up
 * waits a bounded time for the first success ({@link #await}); if none comes the node serves its
 * cache and the attempts go on; the store that finally opens is handed to {@link #onOpen}'s callback.
 *
 * <p>Threading: the attempts run on a daemon thread at the lowest priority (the data plane comes
 * first); the accessors may be called from any thread.
 */
public final class StoreOpener implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StoreOpener.class);

  private final Supplier<ConfigStore> open;
  private final String storeName;
  private final Duration firstBackoff;
  private final Duration maxBackoff;
  private final CompletableFuture<ConfigStore> opened = new CompletableFuture<>();
  private final Object lock = new Object();
  private volatile @Nullable String lastFailure;
  private volatile @Nullable Instant failingSince;
  private boolean closed;
  private @Nullable Thread thread;

  /**
   * @param open one attempt: returns the open store or throws (a {@code StoreException} naming why)
   * @param storeName the store's URL, for log lines
   * @param firstBackoff the wait after the first failed attempt; doubled after each, up to {@code maxBackoff}
   */
  public StoreOpener(Supplier<ConfigStore> open, String storeName, Duration firstBackoff, Duration maxBackoff) {
    this.open = Objects.requireNonNull(open, "open");
    this.storeName = Objects.requireNonNull(storeName, "storeName");
    if (firstBackoff.isNegative() || firstBackoff.isZero()) throw new IllegalArgumentException("firstBackoff must be positive, got " + firstBackoff);
    if (maxBackoff.compareTo(firstBackoff) < 0) {
      throw new IllegalArgumentException("maxBackoff must be >= firstBackoff (" + firstBackoff + "), got " + maxBackoff);
    }
    this.firstBackoff = firstBackoff;
    this.maxBackoff = maxBackoff;
  }

  /** Starts the attempts. */
  public void start() {
    synchronized (lock) {
      if (thread != null) throw new IllegalStateException("already started");
      thread = Thread.ofPlatform().daemon().priority(Thread.MIN_PRIORITY).name("sluice-store-open").start(this::run);
    }
  }

  private void run() {
    Duration backoff = firstBackoff;
    for (int attempt = 1; ; attempt++) {
      synchronized (lock) {
        if (closed) return;
      }
      try {
        ConfigStore store = open.get();
        boolean keep;
        synchronized (lock) {
          keep = !closed;
        }
        if (!keep) {
          store.close();
          return;
        }
        if (attempt > 1) log.info("the store {} answers again after {} attempt(s)", storeName, attempt);
        lastFailure = null;
        opened.complete(store);
        return;
      } catch (RuntimeException e) {
        String why = String.valueOf(e.getMessage());
        if (failingSince == null) failingSince = Instant.now();
        lastFailure = why;
        if (attempt == 1 || Integer.bitCount(attempt) == 1) {
          // Logged at attempts 1, 2, 4, 8...: a long outage does not fill the log.
          log.warn("cannot open the store {} (attempt {}; trying again in {}): {}", storeName, attempt, backoff, why);
        }
      }
      synchronized (lock) {
        long deadline = System.nanoTime() + backoff.toNanos();
        long left;
        while (!closed && (left = deadline - System.nanoTime()) > 0) {
          try {
            TimeUnit.NANOSECONDS.timedWait(lock, left);
          } catch (InterruptedException e) {
            return;
          }
        }
      }
      backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
    }
  }

  /**
   * Waits up to {@code timeout} for the store to open.
   *
   * @return the store, or null when it has not opened within {@code timeout} (the attempts go on)
   */
  public @Nullable ConfigStore await(Duration timeout) throws InterruptedException {
    try {
      return opened.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return null;
    } catch (ExecutionException e) {
      throw new IllegalStateException("never completed exceptionally", e);
    }
  }

  /** Calls {@code then} with the store once it opens (at once, on this thread, when it already has). */
  public void onOpen(Consumer<ConfigStore> then) {
    opened.thenAccept(then).exceptionally(e -> {
      log.error("after opening the store {}: {}", storeName, e.toString());
      return null;
    });
  }

  /** Why the last attempt failed, or null when none failed or the store opened. */
  public @Nullable String lastFailure() {
    return lastFailure;
  }

  /** When the attempts started failing, or null when none failed. */
  public @Nullable Instant failingSince() {
    return failingSince;
  }

  /** Stops the attempts; a store that opens afterwards is closed at once. The store already handed out is the caller's. */
  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      lock.notifyAll();
    }
    // Not joined: an attempt in progress may wait for the store's whole timeout, and the shutdown
    // must not. The thread ends after it, closing a store it opened meanwhile.
  }
}
