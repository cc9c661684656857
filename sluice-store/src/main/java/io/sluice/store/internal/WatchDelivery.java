package io.sluice.store.internal;

import io.sluice.store.Watch;
import io.sluice.store.WatchEvent;
import io.sluice.store.WatchListener;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One watch: a virtual thread that delivers stored revisions (from the {@link EventLog} when it
 * still holds them, else from the store: its database, or etcd's revision records), then waits for
 * live ones. It tracks the next revision it owes the listener, so whichever source a revision comes
 * from, it is delivered once and none is skipped.
 */
public final class WatchDelivery implements Watch {
  /** How many revisions one read from the store or the log returns at most. */
  private static final int PAGE = 256;

  /** Where revisions that the log no longer holds are read from. */
  public interface History {
    List<WatchEvent> events(long from, int count);
  }

  private final EventLog log;
  private final History history;
  private final BooleanSupplier storeClosed;
  private final WatchListener listener;
  private final Consumer<WatchDelivery> onEnd;
  private final long afterRevision;
  private volatile boolean closed;
  private final Thread thread;

  /**
   * A watch of the revisions after {@code afterRevision}; {@link #start()} starts delivery.
   *
   * @param storeClosed true once the store is closed; whoever closes it calls {@link EventLog#wakeAll()}
   * @param onEnd called on the delivery thread when the watch ends, for whatever reason
   */
  public WatchDelivery(EventLog log, History history, BooleanSupplier storeClosed, WatchListener listener,
      Consumer<WatchDelivery> onEnd, long afterRevision) {
    this.log = log;
    this.history = history;
    this.storeClosed = storeClosed;
    this.listener = listener;
    this.onEnd = onEnd;
    this.afterRevision = afterRevision;
    // Lowest priority: watchers are the control plane, and a gateway's data plane comes first
    // (docs/architecture.md). A platform thread, since a virtual thread's priority is always normal.
    this.thread = Thread.ofPlatform().daemon().priority(Thread.MIN_PRIORITY)
        .name("sluice-store-watch-after-" + afterRevision).unstarted(this::run);
  }

  /** Starts the delivery thread; once only. */
  public void start() {
    thread.start();
  }

  private boolean stopped() {
    return closed || storeClosed.getAsBoolean();
  }

  private void run() {
    Throwable error = null;
    try {
      long next = afterRevision + 1;
      while (!stopped()) {
        List<WatchEvent> batch = log.from(next, PAGE);
        if (batch == null) batch = history.events(next, PAGE);
        if (batch.isEmpty()) {
          log.awaitAfter(next - 1, this::stopped);
          continue;
        }
        for (WatchEvent e : batch) {
          if (stopped()) break;
          listener.onEvent(e);
          next = e.revision() + 1;
        }
      }
    } catch (Throwable t) {
      error = t;
    } finally {
      onEnd.accept(this);
    }
    if (closed) return;
    // The loop only ends without an error when the watch or the store was closed.
    if (error == null || storeClosed.getAsBoolean()) error = new IllegalStateException("the config store was closed");
    try {
      listener.onError(error);
    } catch (RuntimeException ignored) {
      // The watch is over either way; there is nobody left to tell.
    }
  }

  @Override
  public void close() {
    closed = true;
    log.wakeAll();
    if (Thread.currentThread() != thread) join(null);
  }

  /** Waits for the delivery thread to end, at most {@code max} (null: as long as it takes). */
  private void join(@Nullable Duration max) {
    try {
      if (max == null) {
        thread.join();
      } else {
        thread.join(max);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** For the store's close: waits at most {@code max} for the thread to notice and end. */
  public void awaitEnd(Duration max) {
    if (Thread.currentThread() != thread) join(max);
  }
}
