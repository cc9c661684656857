package io.sluice.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a config directory (recursively) and calls back once per burst of changes. Changes are
 * debounced, so an editor's save or a {@code git checkout} of many files becomes one callback.
 *
 * <p>Threading: one daemon thread; the callback runs on it, one call at a time. A callback that
 * throws is logged and watching goes on.
 */
final class ConfigDirectoryWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConfigDirectoryWatcher.class);
  private static final long DEBOUNCE_MILLIS = 150;

  private final Path dir;
  private final Runnable onChange;
  private final WatchService watcher;
  private final Thread thread;

  /**
   * Registers the watches at once (changes from now on are seen); the callbacks start with {@link #start()}.
   *
   * @throws IOException when {@code dir} cannot be watched
   */
  ConfigDirectoryWatcher(Path dir, Runnable onChange) throws IOException {
    this.dir = dir;
    this.onChange = onChange;
    this.watcher = FileSystems.getDefault().newWatchService();
    registerAll();
    this.thread = new Thread(this::run, "sluice-config-watch");
    this.thread.setDaemon(true);
    this.thread.setPriority(Thread.MIN_PRIORITY); // the data plane comes first (docs/architecture.md)
  }

  void start() {
    thread.start();
  }

  /**
   * Watches {@code dir} and every directory below it (again after each change, for new ones;
   * registering a directory twice is harmless).
   *
   * @throws IOException only when {@code dir} itself cannot be watched; a subdirectory that
   *     vanishes while this runs (a checkout in progress) is skipped
   */
  private void registerAll() throws IOException {
    register(dir);
    try (Stream<Path> dirs = Files.walk(dir)) {
      for (Path d : (Iterable<Path>) dirs.filter(d -> !d.equals(dir) && Files.isDirectory(d))::iterator) {
        try {
          register(d);
        } catch (IOException e) {
          log.debug("not watching {}: {}", d, e.toString());
        }
      }
    } catch (UncheckedIOException e) {
      log.debug("walking {} for directories to watch: {}", dir, e.toString());
    }
  }

  private void register(Path d) throws IOException {
    d.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
        StandardWatchEventKinds.ENTRY_DELETE);
  }

  private void run() {
    try {
      while (true) {
        WatchKey key = watcher.take();
        // Collect the burst of events that one change makes before reloading once.
        do {
          key.pollEvents();
          key.reset();
        } while ((key = watcher.poll(DEBOUNCE_MILLIS, TimeUnit.MILLISECONDS)) != null);
        try {
          registerAll();
        } catch (IOException e) {
          // The directory itself is gone or unreadable: say so, and keep watching what is still watched.
          log.error("cannot watch {}: {}", dir, e.toString());
        }
        reload();
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closed
    }
  }

  private void reload() {
    try {
      onChange.run();
    } catch (RuntimeException e) {
      log.error("config change in {} not applied: {}", dir, e.toString(), e);
    }
  }

  /** Stops watching; waits (briefly) for a reload in progress to finish, so none runs after this. */
  @Override
  public void close() {
    try {
      watcher.close();
    } catch (IOException e) {
      log.debug("closing watch service", e);
    }
    if (thread.isAlive() && Thread.currentThread() != thread) {
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
