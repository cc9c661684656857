package io.sluice.server;

import io.sluice.admin.NodeStatus;
import io.sluice.api.ConfigException;
import io.sluice.api.ObjectRef;
import io.sluice.api.validate.PathPolicy;
import io.sluice.proxy.Gateway;
import io.sluice.server.cache.CacheWriter;
import io.sluice.server.cache.CachedStore;
import io.sluice.server.cache.LastApplied;
import io.sluice.server.cache.StoreOpener;
import io.sluice.store.ConfigStore;
import io.sluice.store.StoreException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the node on its store and, for a shared store (etcd), on its last-known-good cache: the
 * {@link StoreSync} of the store once it is open, the {@link LastApplied} file written after each
 * revision applied, the configuration read back from that file when the node started while the store
 * could not be reached, and whether the store answers (for the status and the metrics).
 *
 * <p>Started from the cache ({@link #fromCache}), the node serves the cached revision until the
 * {@link StoreOpener} opens the store; then a {@link StoreSync} takes a snapshot and follows the
 * increments as on any start, replacing the cached configuration, and the status stops saying
 * "cache". Started on an open store ({@link #follow}) it is a {@link StoreSync} plus the cache writer.
 *
 * <p>Threading: the accessors may be called from any thread; the store is switched on the opener's
 * thread; reachability is probed on a daemon thread of its own at the lowest priority.
 */
final class StoreFollower implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StoreFollower.class);
  /** How often the store is asked whether it answers. */
  static final Duration PROBE_EVERY = Duration.ofSeconds(2);
  /** How long to wait before applying the store's configuration again when that failed after the cache served. */
  private static final Duration START_RETRY = Duration.ofSeconds(5);
  static final String FROM_CACHE_METRIC = "sluice_config_from_cache";
  static final String REACHABLE_METRIC = "sluice_store_reachable";

  private final Gateway gateway;
  private final PathPolicy paths;
  private final @Nullable LastApplied cache;
  /** Writes the applied revisions to {@link #cache}, off the applier thread; null without a cache. */
  private final @Nullable CacheWriter writer;
  private final Object lock = new Object();
  private boolean closed;
  private volatile @Nullable StoreSync sync;
  private volatile @Nullable ConfigStore store;
  /** Set while the node serves its cache: what and since when. */
  private volatile NodeStatus.@Nullable CacheUse cacheUse;
  private volatile Map<ObjectRef, String> cacheSkipped = Map.of();
  private volatile boolean reachable = true;
  private volatile @Nullable String unreachableReason;
  private volatile @Nullable Instant unreachableSince;
  private volatile Supplier<@Nullable String> leader = () -> null;
  private volatile StoreSync.@Nullable Overlay overlay;
  private @Nullable StoreOpener opener;
  private @Nullable Thread prober;
  private final java.util.List<AutoCloseable> gauges = new java.util.ArrayList<>();

  private StoreFollower(Gateway gateway, PathPolicy paths, @Nullable LastApplied cache) {
    this.gateway = gateway;
    this.paths = paths;
    this.cache = cache;
    this.writer = cache != null ? new CacheWriter(cache) : null;
    gauges.add(gateway.metrics().registerGauge(FROM_CACHE_METRIC,
        "1 while the node serves the configuration it cached on disk because its store could not be reached at start, else 0",
        List.of(), s -> s.add(cacheUse != null ? 1 : 0)));
    gauges.add(gateway.metrics().registerGauge(REACHABLE_METRIC,
        "1 when the configuration store answered the node's last request, 0 when it did not", List.of(), s -> s.add(reachable ? 1 : 0)));
  }

  /**
   * Follows {@code store}, open and answering: applies its configuration (see {@link StoreSync#start})
   * and writes each applied revision to {@code cache} when there is one (a shared store).
   *
   * @throws ConfigException as {@link StoreSync#start} does
   * @throws IllegalStateException when a listener cannot bind
   */
  static StoreFollower follow(ConfigStore store, Gateway gateway, PathPolicy paths, @Nullable LastApplied cache)
      throws ConfigException {
    StoreFollower f = new StoreFollower(gateway, paths, cache);
    try {
      f.startSync(store);
    } catch (ConfigException | RuntimeException e) {
      f.close();
      throw e;
    }
    f.startProbe();
    return f;
  }

  /**
   * Serves {@code cached} (its valid part, as for a store's), then, when {@code opener} opens the store,
   * connects {@code cachedStore} to it, follows it, and runs {@code whenConnected}.
   *
   * @throws ConfigException when the cached configuration has errors that name no object
   * @throws IllegalStateException when a listener cannot bind
   */
  static StoreFollower fromCache(LastApplied.Cached cached, CachedStore cachedStore, StoreOpener opener, Gateway gateway,
      PathPolicy paths, LastApplied cache, Runnable whenConnected) throws ConfigException {
    StoreFollower f = new StoreFollower(gateway, paths, cache);
    f.opener = opener;
    try {
      ValidPart part = ValidPart.of(cached.objects(), paths);
      part.skipped().forEach((ref, why) -> log.error("cached revision {}: {} is not valid, skipping it: {}", cached.revision(), ref, why));
      gateway.apply(part.config());
      f.cacheSkipped = part.skipped();
    } catch (ConfigException | RuntimeException e) {
      f.close();
      throw e;
    }
    gateway.metrics().setConfigRevision(cached.revision());
    Instant now = Instant.now();
    f.cacheUse = new NodeStatus.CacheUse(cached.revision(), cached.writtenAt(), now);
    f.reachable = false;
    f.unreachableSince = opener.failingSince() != null ? opener.failingSince() : now;
    log.warn("serving from the local cache {} of revision {} written at {}; the store {} cannot be reached: {}", cache.file(),
        cached.revision(), cached.writtenAt(), cachedStore, f.unreachableReason());
    opener.onOpen(real -> f.connect(real, cachedStore, whenConnected));
    f.startProbe();
    return f;
  }

  /** Runs on the opener's thread: the store answers at last; follow it instead of the cache. */
  private void connect(ConfigStore real, CachedStore cachedStore, Runnable whenConnected) {
    cachedStore.connect(real);
    while (true) {
      synchronized (lock) {
        if (closed) return;
      }
      try {
        startSync(real);
        break;
      } catch (ConfigException | RuntimeException e) {
        log.error("the store {} answers, but its configuration cannot be applied; the cached revision keeps serving and it is"
            + " tried again in {}: {}", real, START_RETRY, e instanceof ConfigException c ? c.errors() : e.getMessage());
        synchronized (lock) {
          try {
            lock.wait(START_RETRY.toMillis());
          } catch (InterruptedException ie) {
            return;
          }
        }
      }
    }
    NodeStatus.CacheUse was = cacheUse;
    cacheUse = null;
    cacheSkipped = Map.of();
    markReachable();
    StoreSync s = sync;
    log.info("the store {} answers: revision {} replaces the cached revision {}", real, s == null ? 0 : s.appliedRevision(),
        was == null ? 0 : was.revision());
    whenConnected.run();
  }

  private void startSync(ConfigStore s) throws ConfigException {
    StoreSync next = new StoreSync(s, gateway, paths);
    CacheWriter w = writer;
    // The applier only hands the revision over: the file is written after, off the apply path.
    if (w != null) next.onApplied((revision, set) -> w.offer(revision, set.all()));
    next.overlay(overlay);
    try {
      next.start();
    } catch (ConfigException | RuntimeException e) {
      next.close();
      throw e;
    }
    synchronized (lock) {
      if (closed) {
        next.close();
        return;
      }
      store = s;
      sync = next;
    }
  }

  private void startProbe() {
    if (cache == null) return; // the embedded store is a file of this node: nothing to probe
    synchronized (lock) {
      if (closed) return;
      prober = Thread.ofPlatform().daemon().priority(Thread.MIN_PRIORITY).name("sluice-store-probe").start(this::probe);
    }
  }

  private void probe() {
    while (true) {
      synchronized (lock) {
        if (closed) return;
        try {
          lock.wait(PROBE_EVERY.toMillis());
        } catch (InterruptedException e) {
          return;
        }
        if (closed) return;
      }
      ConfigStore s = store;
      if (s == null) {
        StoreOpener o = opener;
        unreachable(o != null && o.lastFailure() != null ? String.valueOf(o.lastFailure()) : "no answer yet");
        continue;
      }
      try {
        // Asks etcd itself (reads are served from the node's copy): an empty answer is a good one.
        s.revisions(s.revision(), 1);
        markReachable();
      } catch (StoreException e) {
        unreachable(String.valueOf(e.getMessage()));
      } catch (IllegalStateException e) {
        return; // closed
      }
    }
  }

  private void unreachable(String why) {
    if (reachable) {
      log.warn("the store cannot be reached; the node keeps serving revision {}: {}", appliedRevision(), why);
      unreachableSince = Instant.now();
    }
    unreachableReason = why;
    reachable = false;
  }

  private void markReachable() {
    if (!reachable && cacheUse == null) log.info("the store answers again");
    reachable = true;
    unreachableReason = null;
    unreachableSince = null;
  }

  private @Nullable String unreachableReason() {
    String r = unreachableReason;
    if (r != null) return r;
    StoreOpener o = opener;
    return o != null && store == null ? (o.lastFailure() != null ? o.lastFailure() : "no answer yet") : null;
  }

  /**
   * The config canary to serve on top of the store's configuration (null: none); kept across the
   * switch from the cache to the store. Any thread.
   */
  void overlay(StoreSync.@Nullable Overlay o) {
    overlay = o;
    StoreSync s = sync;
    if (s != null) s.overlay(o);
  }

  /** The id of the canary the gateway serves now, or null. */
  @Nullable String servedCanary() {
    StoreSync s = sync;
    return s == null ? null : s.servedCanary();
  }

  /** Where {@link NodeStatus#leader} comes from; none by default. */
  void leader(Supplier<@Nullable String> leader) {
    this.leader = leader;
  }

  /** The store revision the gateway is serving (the cached one while it serves the cache). */
  long appliedRevision() {
    StoreSync s = sync;
    if (s != null) return s.appliedRevision();
    NodeStatus.CacheUse c = cacheUse;
    return c == null ? 0 : c.revision();
  }

  /** Stored (or cached) objects not served, with why; sorted. */
  Map<ObjectRef, String> skipped() {
    StoreSync s = sync;
    if (s != null) return s.skipped();
    Map<ObjectRef, String> out = new TreeMap<>(cacheSkipped);
    gateway.skippedObjects().forEach(out::putIfAbsent);
    return out;
  }

  NodeStatus.@Nullable ApplyError lastFailure() {
    StoreSync s = sync;
    return s == null ? null : s.lastFailure();
  }

  /** For the status; null for the embedded store. */
  NodeStatus.@Nullable StoreState state() {
    if (cache == null) return null;
    return new NodeStatus.StoreState(reachable, reachable ? null : unreachableReason(), reachable ? null : unreachableSince, cacheUse,
        leader.get());
  }

  /** Stops following the store and probing it; the stores themselves are closed by their owner. */
  @Override
  public void close() {
    Thread p;
    synchronized (lock) {
      closed = true;
      p = prober;
      lock.notifyAll();
    }
    StoreOpener o = opener;
    if (o != null) o.close();
    StoreSync s = sync;
    if (s != null) s.close();
    // After the sync: the revision it applied last is on disk when this returns.
    CacheWriter w = writer;
    if (w != null) w.close();
    // Not joined: a probe waiting on an unreachable store would hold the shutdown for the store's
    // timeout; it ends by itself, and a request on the closed store ends it at once.
    if (p != null) p.interrupt();
    for (AutoCloseable g : gauges) {
      try {
        g.close();
      } catch (Exception e) {
        log.warn("cannot remove a gauge: {}", e.toString());
      }
    }
  }
}
