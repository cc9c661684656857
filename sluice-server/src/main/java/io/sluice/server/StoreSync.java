package io.sluice.server;

import io.sluice.admin.NodeStatus;
import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.validate.LoopWarnings;
import io.sluice.api.validate.PathPolicy;
import io.sluice.api.ObjectRef;
import io.sluice.proxy.Gateway;
import io.sluice.store.ConfigStore;
import io.sluice.store.Snapshot;
import io.sluice.store.Watch;
import io.sluice.store.WatchEvent;
import io.sluice.store.WatchListener;
import java.time.Duration;
import java.time.Instant;
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
 * The applied revision is also the gateway's {@code sluice_config_revision}.
 *
 * <p>One bad object never stops the node from following the store. Stored objects that do not
 * validate (the store refuses to write them, but one written under older rules, or by hand, can be
 * there) are left out with the objects that refer to them ({@link ValidPart}), and the gateway skips
 * objects that fail to compile the same way; the rest is applied and the revision counts as applied.
 * Both are listed by {@link #skipped()} (the node status, and the gauge
 * {@code sluice_config_objects_skipped}) and tried again with every later change. Only errors that
 * name no object are counted in {@code sluice_config_apply_failures_total} here (a failed
 * {@code Gateway.apply} is counted by the gateway).
 *
 * <p>Threading: the store's watch thread delivers events; the applier is this object's own daemon
 * thread; the accessors may be called from any thread.
 */
final class StoreSync implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StoreSync.class);
  private static final Duration REWATCH_DELAY = Duration.ofSeconds(1);

  /** The gauge of {@link #skipped()}. */
  static final String SKIPPED_METRIC = "sluice_config_objects_skipped";

  private final ConfigStore store;
  private @Nullable AutoCloseable skippedGauge;
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
  /** Stored objects left out of {@link #base} because they do not validate; guarded by {@link #lock}. */
  private List<ConfigObject<?>> invalid = List.of();
  /** Why each of {@link #invalid} was left out, and the objects it took along; guarded by {@link #lock}. */
  private Map<ObjectRef, String> invalidReasons = Map.of();
  private long seenRevision;
  private long attemptedRevision;
  private boolean closed;
  private @Nullable Watch watch;
  private @Nullable Thread applier;
  private volatile long appliedRevision;
  private volatile long failures;
  private volatile @Nullable String lastError;
  private volatile NodeStatus.@Nullable ApplyError lastFailure;
  private volatile @Nullable AppliedListener appliedListener;
  /** The config canary served on top of the store's configuration, or null; guarded by {@link #lock}. */
  private @Nullable Overlay overlay;
  /** Whether {@link #overlay} changed since the applier last took it; guarded by {@link #lock}. */
  private boolean overlayChanged;
  private volatile @Nullable String servedCanary;

  /**
   * A config canary this node serves: its objects put on top of the store's configuration (they
   * replace the stored objects of the same kind and name, or add to them).
   *
   * @param canary the canary's id; overlays with the same id hold the same objects
   */
  record Overlay(String canary, List<ConfigObject<?>> objects) {
    Overlay {
      objects = List.copyOf(objects);
    }
  }

  /** Told of each revision the gateway applied (the node's last-known-good cache writes it to disk). */
  @FunctionalInterface
  interface AppliedListener {
    /** Called on the applier thread (or {@link #start}'s) after the gateway applied {@code set} at {@code revision}. */
    void applied(long revision, ConfigSet set);
  }

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

  /** Calls {@code listener} after each revision the gateway applies from now on; set before {@link #start}. */
  void onApplied(AppliedListener listener) {
    appliedListener = listener;
  }

  private void applied(long revision, ConfigSet set) {
    AppliedListener l = appliedListener;
    if (l != null) l.applied(revision, set);
  }

  /**
   * Applies the store's current configuration to the gateway, then follows the store. Objects that
   * do not validate or compile are skipped (see {@link #skipped()}); the rest is served.
   *
   * @throws ConfigException when the stored configuration has errors that name no object (a damaged store)
   * @throws IllegalStateException when a listener cannot bind; the message names it and the address
   */
  void start() throws ConfigException {
    skippedGauge = gateway.metrics().registerGauge(SKIPPED_METRIC,
        "Stored objects this node does not serve (they do not validate or compile, or depend on one that does not): 1 each",
        List.of("kind", "name"), samples -> skipped().keySet().forEach(ref -> samples.add(1, ref.kind().displayName(), ref.name())));
    Snapshot s = store.snapshot();
    ValidPart part = validPart(s.revision(), s.objects());
    ConfigSet set = part.config();
    Overlay o;
    synchronized (lock) {
      o = overlay;
      overlayChanged = false;
    }
    gateway.apply(served(s.revision(), set, o));
    synchronized (lock) {
      base = set;
      invalid = part.invalid();
      invalidReasons = part.skipped();
      seenRevision = s.revision();
      attemptedRevision = s.revision();
    }
    appliedRevision = s.revision();
    gateway.metrics().setConfigRevision(s.revision());
    log.info("applied revision {}: {}", s.revision(), summary(set));
    applied(s.revision(), set);
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
      Overlay o;
      synchronized (lock) {
        while (!closed && seenRevision == attemptedRevision && !overlayChanged) {
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
        o = overlay;
        overlayChanged = false;
      }
      apply(revision, from, changes, o);
    }
  }

  private void apply(long revision, ConfigSet from, Map<ObjectRef, @Nullable ConfigObject<?>> changes, @Nullable Overlay canary) {
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
    List<ConfigObject<?>> stillInvalid;
    Map<ObjectRef, String> reasons;
    try {
      // Objects left out earlier are tried again with every change: one they referred to may be fixed now.
      List<ConfigObject<?>> all = new ArrayList<>(retried(puts, deletes));
      all.addAll(puts);
      ValidPart part = tryWhole(from, all, deletes, revision);
      set = part.config();
      stillInvalid = part.invalid();
      reasons = part.skipped();
    } catch (ConfigException e) {
      // Errors that name no object that could be left out: refused before the data plane saw it, and
      // counted here since the gateway does not know. The changes stay pending: the next event tries
      // them again, with its own.
      gateway.metrics().recordConfigApplyFailure();
      fail(revision, e.errors().size() + " error(s) in the stored configuration");
      for (ConfigError err : e.errors()) log.error("  {}", err);
      return;
    }
    synchronized (lock) {
      base = set;
      invalid = stillInvalid;
      invalidReasons = reasons;
      // What changed again since it was taken stays pending, to be applied on top of the new base.
      changes.forEach((ref, o) -> pending.remove(ref, o));
    }
    try {
      gateway.apply(served(revision, set, canary));
    } catch (RuntimeException e) {
      // A listener that cannot bind: the message names it and its address. Gateway.apply counted it.
      fail(revision, e.getMessage());
      return;
    }
    appliedRevision = revision;
    gateway.metrics().setConfigRevision(revision);
    log.info("applied revision {}: {}", revision, summary(set));
    applied(revision, set);
  }

  /**
   * Makes {@code o} the canary served on top of the store's configuration (null: none), applied by
   * the applier thread at once. Any thread.
   */
  void overlay(@Nullable Overlay o) {
    synchronized (lock) {
      Overlay was = overlay;
      if (was == null ? o == null : o != null && was.canary().equals(o.canary())) return;
      overlay = o;
      overlayChanged = true;
      lock.notifyAll();
    }
  }

  /** The id of the canary the gateway serves now, or null. Any thread. */
  @Nullable String servedCanary() {
    return servedCanary;
  }

  /**
   * What the gateway serves: the store's {@code set}, with the canary's objects on top when there is
   * one. A canary that does not go with this revision (it was checked against an earlier one) is
   * logged and not served; the revision is. Only the store's revision goes to the last-known-good
   * cache ({@link #onApplied}): a node restarted from it serves the base until it sees the canary.
   */
  private ConfigSet served(long revision, ConfigSet set, @Nullable Overlay o) {
    if (o == null) {
      servedCanary = null;
      return set;
    }
    try {
      ConfigSet s = set.with(o.objects(), List.of());
      servedCanary = o.canary();
      log.info("serving canary {} on top of revision {}", o.canary(), revision);
      return s;
    } catch (ConfigException e) {
      servedCanary = null;
      log.error("canary {} does not apply on top of revision {}; serving the revision: {}", o.canary(), revision, e.errors());
      return set;
    }
  }

  /** The objects left out last time that {@code puts} and {@code deletes} do not replace. Takes the lock. */
  private List<ConfigObject<?>> retried(List<ConfigObject<?>> puts, List<ObjectRef> deletes) {
    List<ConfigObject<?>> left;
    synchronized (lock) {
      left = invalid;
    }
    if (left.isEmpty()) return List.of();
    java.util.Set<ObjectRef> replaced = new java.util.HashSet<>(deletes);
    for (ConfigObject<?> o : puts) replaced.add(ObjectRef.of(o));
    List<ConfigObject<?>> out = new ArrayList<>();
    for (ConfigObject<?> o : left) {
      if (!replaced.contains(ObjectRef.of(o))) out.add(o);
    }
    return out;
  }

  /** {@code from} with {@code puts} and {@code deletes}, or its valid part when that is not valid. */
  private ValidPart tryWhole(ConfigSet from, List<ConfigObject<?>> puts, List<ObjectRef> deletes, long revision)
      throws ConfigException {
    try {
      return new ValidPart(from.with(puts, deletes), Map.of(), List.of());
    } catch (ConfigException e) {
      List<ConfigObject<?>> all = new ArrayList<>();
      java.util.Set<ObjectRef> gone = new java.util.HashSet<>(deletes);
      for (ConfigObject<?> o : puts) gone.add(ObjectRef.of(o));
      for (ConfigObject<?> o : from.all()) {
        if (!gone.contains(ObjectRef.of(o))) all.add(o);
      }
      all.addAll(puts);
      return validPart(revision, all);
    }
  }

  /**
   * The valid part of {@code objects}: all of them when they validate, else without the objects that
   * do not (logged, and reported by {@link #skipped()}), so that the rest is served.
   *
   * @throws ConfigException when the errors cannot be pinned on objects
   */
  private ValidPart validPart(long revision, java.util.Collection<? extends ConfigObject<?>> objects)
      throws ConfigException {
    try {
      ConfigSet set = ConfigSet.of(objects, paths);
      for (ConfigError w : LoopWarnings.of(set)) log.warn("revision {}: {}", revision, w);
      return new ValidPart(set, Map.of(), List.of());
    } catch (ConfigException e) {
      ValidPart part = ValidPart.of(objects, paths);
      part.skipped().forEach((ref, why) ->
          log.error("revision {}: {} is not valid, skipping it and serving the rest: {}", revision, ref, why));
      return part;
    }
  }

  /**
   * The stored objects that are not served, with the reason: those that do not validate (as stored)
   * and those the gateway could not compile; sorted. Any thread.
   */
  Map<ObjectRef, String> skipped() {
    Map<ObjectRef, String> out;
    synchronized (lock) {
      out = new java.util.TreeMap<>(invalidReasons);
    }
    gateway.skippedObjects().forEach(out::putIfAbsent);
    return out;
  }

  private void fail(long revision, @Nullable String why) {
    failures++;
    lastError = "revision " + revision + ": " + why;
    lastFailure = new NodeStatus.ApplyError(revision, String.valueOf(why), Instant.now());
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

  /** The last revision that failed to apply, why and when (for the node status), or null when none failed. Any thread. */
  NodeStatus.@Nullable ApplyError lastFailure() {
    return lastFailure;
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
    if (skippedGauge != null) {
      try {
        skippedGauge.close();
      } catch (Exception e) {
        log.warn("cannot remove the gauge {}: {}", SKIPPED_METRIC, e.toString());
      }
    }
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(Duration.ofSeconds(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
