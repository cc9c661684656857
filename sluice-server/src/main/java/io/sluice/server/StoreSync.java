package io.sluice.server;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.validate.PathPolicy;
import io.sluice.api.ObjectRef;
import io.sluice.proxy.Gateway;
import io.sluice.store.ConfigStore;
import io.sluice.store.Snapshot;
import io.sluice.store.Watch;
import io.sluice.store.WatchEvent;
import io.sluice.store.WatchListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the gateway on the store's configuration: applies a snapshot, then watches the store from
 * that snapshot's revision and applies every later state.
 *
 * <p>Bursts are coalesced: events only record which objects changed since the configuration last
 * validated here (the base); one applier thread derives the next configuration from the base and
 * those changes ({@link ConfigSet#with}, which for a change of only Routes validates just the
 * routes changed) and applies it, so ten revisions that arrive while one apply runs cost one more
 * apply, not ten. An apply that fails (a listener that cannot bind its address) is logged naming
 * the listener and address, counted in {@link #failures()}, and leaves the previous configuration
 * serving and {@link #appliedRevision()} where it was; the configuration that failed is still the
 * store's, so it becomes the base, and the next change tries again.
 * The applied revision is also the gateway's {@code sluice_config_revision}; a stored configuration
 * that does not compile is counted in {@code sluice_config_apply_failures_total} here (a failed
 * {@code Gateway.apply} is counted by the gateway).
 *
 * <p>Threading: the store's watch thread delivers events; the applier is this object's own daemon
 * thread; the accessors may be called from any thread.
 */
final class StoreSync implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StoreSync.class);
  private static final Duration REWATCH_DELAY = Duration.ofSeconds(1);

  private final ConfigStore store;
  private final Gateway gateway;
  private final PathPolicy paths;
  private final Object lock = new Object();
  /** The store's configuration as last validated here; guarded by {@link #lock}. */
  private ConfigSet base;
  /**
   * What changed in the store since {@link #base}, as of {@link #seenRevision}: each object's latest
   * version, or null when it was deleted; guarded by {@link #lock}.
   */
  private final Map<ObjectRef, @Nullable ConfigObject<?>> pending = new LinkedHashMap<>();
  private long seenRevision;
  private long attemptedRevision;
  private boolean closed;
  private @Nullable Watch watch;
  private @Nullable Thread applier;
  private volatile long appliedRevision;
  private volatile long failures;
  private volatile @Nullable String lastError;

  StoreSync(ConfigStore store, Gateway gateway) {
    this(store, gateway, PathPolicy.DEFAULT);
  }

  /** @param paths the directories the server allows; every configuration applied is validated under it */
  StoreSync(ConfigStore store, Gateway gateway, PathPolicy paths) {
    this.store = store;
    this.gateway = gateway;
    this.paths = paths;
    this.base = ConfigSet.empty(paths);
  }

  /**
   * Applies the store's current configuration to the gateway, then follows the store.
   *
   * @throws ConfigException when the stored configuration is not valid (it always is, unless the
   *     store was damaged or written by a newer version)
   * @throws IllegalStateException when a listener cannot bind; the message names it and the address
   */
  void start() throws ConfigException {
    Snapshot s = store.snapshot();
    ConfigSet set = ConfigSet.of(s.objects(), paths);
    gateway.apply(set);
    synchronized (lock) {
      base = set;
      seenRevision = s.revision();
      attemptedRevision = s.revision();
    }
    appliedRevision = s.revision();
    gateway.metrics().setConfigRevision(s.revision());
    log.info("applied revision {}: {}", s.revision(), summary(set));
    Thread t = new Thread(this::applyLoop, "sluice-store-sync");
    t.setDaemon(true);
    t.setPriority(Thread.MIN_PRIORITY); // the data plane comes first (docs/architecture.md)
    applier = t;
    t.start();
    startWatch(s.revision());
  }

  private void startWatch(long from) {
    Watch w = store.watch(from, new WatchListener() {
      @Override
      public void onEvent(WatchEvent event) {
        synchronized (lock) {
          if (event.revision() <= seenRevision) return;
          for (WatchEvent.Item item : event.items()) pending.put(item.ref(), item.object());
          seenRevision = event.revision();
          lock.notifyAll();
        }
      }

      @Override
      public void onError(Throwable error) {
        synchronized (lock) {
          if (closed) return;
        }
        log.error("watching the store failed; watching again from revision {} in {}: {}", seenRevision(), REWATCH_DELAY,
            error.toString());
        Thread.ofPlatform().daemon().priority(Thread.MIN_PRIORITY).name("sluice-store-rewatch").start(() -> {
          try {
            Thread.sleep(REWATCH_DELAY);
            synchronized (lock) {
              if (closed) return;
            }
            startWatch(seenRevision());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (RuntimeException e) {
            onError(e);
          }
        });
      }
    });
    synchronized (lock) {
      if (closed) {
        w.close();
      } else {
        watch = w;
      }
    }
  }

  private long seenRevision() {
    synchronized (lock) {
      return seenRevision;
    }
  }

  private void applyLoop() {
    while (true) {
      ConfigSet from;
      Map<ObjectRef, @Nullable ConfigObject<?>> changes;
      long revision;
      synchronized (lock) {
        while (!closed && seenRevision == attemptedRevision) {
          try {
            lock.wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        if (closed) return;
        from = base;
        changes = new LinkedHashMap<>(pending);
        revision = seenRevision;
        attemptedRevision = revision;
      }
      apply(revision, from, changes);
    }
  }

  private void apply(long revision, ConfigSet from, Map<ObjectRef, @Nullable ConfigObject<?>> changes) {
    List<ConfigObject<?>> puts = new ArrayList<>();
    List<ObjectRef> deletes = new ArrayList<>();
    changes.forEach((ref, o) -> {
      if (o == null) {
        deletes.add(ref);
      } else {
        puts.add(o);
      }
    });
    ConfigSet set;
    try {
      set = from.with(puts, deletes);
    } catch (ConfigException e) {
      // Refused before the data plane saw it: the gateway does not know, so it is counted here. The
      // changes stay pending: the next event tries them again, with its own.
      gateway.metrics().recordConfigApplyFailure();
      fail(revision, e.errors().size() + " error(s) in the stored configuration");
      for (ConfigError err : e.errors()) log.error("  {}", err);
      return;
    }
    synchronized (lock) {
      base = set;
      // What changed again since it was taken stays pending, to be applied on top of the new base.
      changes.forEach((ref, o) -> pending.remove(ref, o));
    }
    try {
      gateway.apply(set);
    } catch (RuntimeException e) {
      // A listener that cannot bind: the message names it and its address. Gateway.apply counted it.
      fail(revision, e.getMessage());
      return;
    }
    appliedRevision = revision;
    gateway.metrics().setConfigRevision(revision);
    log.info("applied revision {}: {}", revision, summary(set));
  }

  private void fail(long revision, @Nullable String why) {
    failures++;
    lastError = "revision " + revision + ": " + why;
    log.error("revision {} not applied (failure {} since start), revision {} keeps serving: {}", revision, failures,
        appliedRevision, why);
  }

  private static String summary(ConfigSet set) {
    return set.listeners().size() + " listeners, " + set.routes().size() + " routes, " + set.upstreams().size() + " upstreams";
  }

  /** The store revision the gateway is serving. */
  long appliedRevision() {
    return appliedRevision;
  }

  /** How many applies failed since start (the gateway kept the previous configuration each time). */
  long failures() {
    return failures;
  }

  /** What the last failed apply said, or null when none failed. */
  @Nullable String lastError() {
    return lastError;
  }

  /** Stops following the store; an apply in progress completes first. */
  @Override
  public void close() {
    Watch w;
    Thread t;
    synchronized (lock) {
      closed = true;
      w = watch;
      t = applier;
      lock.notifyAll();
    }
    if (w != null) w.close();
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(Duration.ofSeconds(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
