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
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a config directory (recursively) and calls back once per burst of changes. Changes are
 * debounced, so an editor's save or a {@code git checkout} of many files becomes one callback.
 *
 * <p>The directory is followed by what its path resolves to, not by the inode first watched: the
 * path as configured is resolved (symlinks followed) and its identity (real path and file key) is
 * checked after every event in the parents of the path and of the real directory, and at least
 * every {@link #IDENTITY_POLL}. When it changes (the directory was deleted and created again,
 * renamed over by {@code mv conf.new conf}, or a symlink on the path was pointed elsewhere, as
 * Kubernetes does with {@code ..data}), the new directory is watched instead and the callback runs.
 * While the path resolves to nothing, nothing is called; the callback runs once it is back.
 *
 * <p>The callback also says when it wants to run again without a change (a file still settling,
 * a grace period running out), and is called then.
 *
 * <p>Threading: one daemon thread; the callback runs on it, one call at a time. A callback that
 * throws is logged and watching goes on.
 */
final class ConfigDirectoryWatcher implements AutoCloseable {
  /** What the watcher calls on a change; returns how soon to call it again without one, or null. */
  @FunctionalInterface
  interface Reload {
    @Nullable Duration run();
  }

  private static final Logger log = LoggerFactory.getLogger(ConfigDirectoryWatcher.class);
  private static final long DEBOUNCE_MILLIS = 150;
  /** The longest a replaced directory goes unnoticed when no event in a watched parent tells. */
  static final Duration IDENTITY_POLL = Duration.ofSeconds(1);

  /** What a path resolves to: a directory replaced under the same real path has another file key. */
  private record Identity(Path real, @Nullable Object fileKey) {}

  private final Path dir;
  private final Reload onChange;
  private final WatchService watcher;
  private final Thread thread;
  /** Keys of the directory's own tree; their events are changes. Confined to the watcher's thread after start. */
  private final Set<WatchKey> treeKeys = new HashSet<>();
  /** Keys of the parents; their events only make the identity be checked. */
  private final Set<WatchKey> parentKeys = new HashSet<>();
  private @Nullable Identity identity;
  private @Nullable Duration firstWake;
  /** The key of the directory itself: invalid once it is deleted, even if a new one gets its inode number. */
  private @Nullable WatchKey rootKey;

  /**
   * Registers the watches at once (changes from now on are seen); the callbacks start with {@link #start()}.
   *
   * @param dir the directory as configured (may be or pass through symlinks)
   * @throws IOException when {@code dir} does not resolve to a directory or cannot be watched
   */
  ConfigDirectoryWatcher(Path dir, Reload onChange) throws IOException {
    this.dir = dir.toAbsolutePath().normalize();
    this.onChange = onChange;
    this.watcher = FileSystems.getDefault().newWatchService();
    Identity id = resolve(this.dir);
    if (id == null) {
      watcher.close();
      throw new IOException(dir + " does not resolve to a directory");
    }
    identity = id;
    watchIdentity(id);
    this.thread = new Thread(this::run, "sluice-config-watch");
    this.thread.setDaemon(true);
    this.thread.setPriority(Thread.MIN_PRIORITY); // the data plane comes first (docs/architecture.md)
  }

  /**
   * Starts the callbacks.
   *
   * @param firstWake when to call back without a change, as the last callback made outside the
   *     watcher (the first sync) asked; null for not until a change
   */
  void start(@Nullable Duration firstWake) {
    this.firstWake = firstWake;
    thread.start();
  }

  private static @Nullable Identity resolve(Path dir) {
    try {
      Path real = dir.toRealPath();
      BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
      return a.isDirectory() ? new Identity(real, a.fileKey()) : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** Drops every watch and watches the parents and the tree of what the path now resolves to. */
  private void watchIdentity(@Nullable Identity id) throws IOException {
    for (WatchKey k : treeKeys) k.cancel();
    for (WatchKey k : parentKeys) k.cancel();
    treeKeys.clear();
    parentKeys.clear();
    rootKey = null;
    watchParent(dir.getParent());
    if (id == null) return;
    watchParent(id.real().getParent());
    registerTree(id.real());
  }

  private void watchParent(@Nullable Path parent) {
    if (parent == null) return;
    try {
      parentKeys.add(register(parent));
    } catch (IOException e) {
      log.debug("not watching {}: {}", parent, e.toString());
    }
  }

  /**
   * Watches {@code real} and every directory below it (again after each change, for new ones;
   * registering a directory twice is harmless).
   *
   * @throws IOException only when {@code real} itself cannot be watched; a subdirectory that
   *     vanishes while this runs (a checkout in progress) is skipped
   */
  private void registerTree(Path real) throws IOException {
    rootKey = register(real);
    treeKeys.add(rootKey);
    try (Stream<Path> dirs = Files.walk(real)) {
      for (Path d : (Iterable<Path>) dirs.filter(d -> !d.equals(real) && Files.isDirectory(d))::iterator) {
        try {
          treeKeys.add(register(d));
        } catch (IOException e) {
          log.debug("not watching {}: {}", d, e.toString());
        }
      }
    } catch (UncheckedIOException e) {
      log.debug("walking {} for directories to watch: {}", real, e.toString());
    }
  }

  private WatchKey register(Path d) throws IOException {
    return d.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
        StandardWatchEventKinds.ENTRY_DELETE);
  }

  private void run() {
    Duration first = firstWake;
    boolean wake = first != null; // the callback asked to run again at wakeAt (System.nanoTime())
    long wakeAt = first == null ? 0 : System.nanoTime() + first.toNanos();
    try {
      while (true) {
        long wait = IDENTITY_POLL.toNanos();
        // While the path resolves to nothing a due wake-up waits for it (no spinning on a timer that cannot run).
        if (wake && identity != null) wait = Math.max(0, Math.min(wait, wakeAt - System.nanoTime()));
        WatchKey key = watcher.poll(wait, TimeUnit.NANOSECONDS);
        boolean changed = false;
        // Collect the burst of events that one change makes before reloading once.
        while (key != null) {
          boolean events = !key.pollEvents().isEmpty();
          if (treeKeys.contains(key) && events) changed = true;
          if (!key.reset()) {
            treeKeys.remove(key);
            parentKeys.remove(key);
          }
          key = watcher.poll(DEBOUNCE_MILLIS, TimeUnit.MILLISECONDS);
        }
        Identity now = resolve(dir);
        // A directory deleted and made again may get the same inode number: its dead key tells.
        boolean replaced = now != null && (rootKey == null || !rootKey.isValid());
        if (replaced || !Objects.equals(now, identity)) {
          if (now == null) {
            log.warn("{} no longer resolves to a directory; its objects keep serving until it is back", dir);
          } else {
            log.info("{} is now {}; watching it", dir, now.real());
          }
          identity = now;
          changed = now != null;
          try {
            watchIdentity(now);
          } catch (IOException e) {
            log.error("cannot watch {}: {}", dir, e.toString());
          }
        } else if (changed && now != null) {
          try {
            registerTree(now.real());
          } catch (IOException e) {
            log.error("cannot watch {}: {}", dir, e.toString());
          }
        }
        if (changed || (wake && identity != null && System.nanoTime() - wakeAt >= 0)) {
          Duration again = reload();
          wake = again != null;
          if (again != null) wakeAt = System.nanoTime() + again.toNanos();
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closed
    }
  }

  private @Nullable Duration reload() {
    try {
      return onChange.run();
    } catch (RuntimeException e) {
      log.error("config change in {} not applied: {}", dir, e.toString(), e);
      return null;
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
