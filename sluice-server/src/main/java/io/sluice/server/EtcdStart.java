package io.sluice.server;

import io.sluice.api.ConfigException;
import io.sluice.api.validate.PathPolicy;
import io.sluice.proxy.Gateway;
import io.sluice.server.cache.CachedStore;
import io.sluice.server.cache.LastApplied;
import io.sluice.server.cache.StoreOpener;
import io.sluice.store.ConfigStore;
import io.sluice.store.etcd.EtcdConfigStore;
import io.sluice.store.etcd.EtcdConnection;
import io.sluice.api.codec.Durations;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How {@code serve} starts on etcd: it waits a bounded time for the store; when the store does not
 * answer in time it starts from the node's last-known-good cache ({@link LastApplied}) while the
 * store is opened in the background. No store and no usable cache: start-up fails, saying both.
 */
final class EtcdStart {
  private static final Logger log = LoggerFactory.getLogger(EtcdStart.class);
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  private final LastApplied cache;
  private final StoreOpener opener;
  private final ConfigStore store;
  private final LastApplied.@Nullable Cached cached;
  private final PathPolicy paths;

  private EtcdStart(LastApplied cache, StoreOpener opener, ConfigStore store, LastApplied.@Nullable Cached cached, PathPolicy paths) {
    this.paths = paths;
    this.cache = cache;
    this.opener = opener;
    this.store = store;
    this.cached = cached;
  }

  /**
   * Opens the store, or falls back on the cache in {@code dataDir}.
   *
   * @return how to go on, or null when the node must not start (the reason is on stderr)
   */
  static @Nullable EtcdStart open(EtcdConnection etcd, PathPolicy paths, Path dataDir, Duration connectTimeout)
      throws InterruptedException {
    LastApplied cache = new LastApplied(dataDir, etcd.url());
    StoreOpener opener = new StoreOpener(() -> EtcdConfigStore.open(etcd, paths), etcd.url(), FIRST_BACKOFF, MAX_BACKOFF);
    opener.start();
    ConfigStore store = opener.await(connectTimeout);
    if (store != null) return new EtcdStart(cache, opener, store, null, paths);
    String why = why(opener, connectTimeout);
    LastApplied.Cached cached;
    String noCache;
    try {
      cached = cache.read();
      noCache = cache.file() + " does not exist";
    } catch (LastApplied.Unusable e) {
      log.error("refusing the local cache: {}", e.getMessage());
      cached = null;
      noCache = "refused: " + e.getMessage();
    }
    if (cached == null) {
      opener.close();
      System.err.println("sluice serve: cannot open the store --store " + etcd + ": " + why + "; and no local cache to start from ("
          + noCache + ")");
      return null;
    }
    return new EtcdStart(cache, opener, new CachedStore(cached, etcd.url(), () -> why(opener, connectTimeout)), cached, paths);
  }

  private static String why(StoreOpener opener, Duration connectTimeout) {
    String last = opener.lastFailure();
    return last != null ? last : "no answer within " + Durations.format(connectTimeout) + " (--store-connect-timeout)";
  }

  /** The store for the admin API and the config directory: etcd's, or the cache's until etcd answers. */
  ConfigStore store() {
    return store;
  }

  LastApplied cache() {
    return cache;
  }

  StoreOpener opener() {
    return opener;
  }

  /** Whether etcd did not answer in time and the node starts from its cache. */
  boolean fromCache() {
    return cached != null;
  }

  /** Serves the cache and follows etcd once it answers, then runs {@code whenConnected}. Only when {@link #fromCache()}. */
  StoreFollower followFromCache(Gateway gateway, Runnable whenConnected) throws ConfigException {
    LastApplied.Cached c = cached;
    if (c == null || !(store instanceof CachedStore cs)) throw new IllegalStateException("the store answered: nothing to serve from the cache");
    return StoreFollower.fromCache(c, cs, opener, gateway, paths, cache, whenConnected);
  }
}
