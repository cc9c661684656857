package io.sluice.filters.jwt;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.sluice.filters.outbound.OutboundHttp;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JWK Set fetched from a URL, with the keys of its last good fetch. Shared by every event loop
 * (and kept across configuration changes through {@code FilterEnvironment.shared}): the keys are a
 * volatile snapshot, fetches are started with compare-and-set so that at most one runs at a time,
 * and they run on the outbound client's threads, never on an event loop.
 */
final class JwksSource {
  private static final Logger log = LoggerFactory.getLogger(JwksSource.class);
  /** A JWK Set is a few KiB; anything this large is not one. */
  private static final long MAX_BYTES = 1 << 20;

  /** The keys of one fetch. */
  record KeySet(Map<String, List<Keys.Key>> byKid, List<Keys.Key> all) {
    static KeySet of(List<Keys.Key> keys) {
      Map<String, List<Keys.Key>> byKid = new HashMap<>();
      for (Keys.Key k : keys) {
        if (k.kid() != null) byKid.computeIfAbsent(k.kid(), x -> new ArrayList<>(1)).add(k);
      }
      return new KeySet(Map.copyOf(byKid), List.copyOf(keys));
    }
  }

  private final URI uri;
  private final Duration timeout;
  private final long refreshNanos;
  private final long minRefetchNanos;
  private volatile @Nullable KeySet keys;
  /** System.nanoTime() of the last fetch that ended, good or not. */
  private volatile long lastFetchEnded;
  private final AtomicLong lastExtraFetch;
  private final AtomicReference<@Nullable CompletableFuture<Void>> inFlight = new AtomicReference<>();
  private final AtomicLong fetches = new AtomicLong();

  JwksSource(URI uri, Duration timeout, Duration refresh, Duration minRefetch) {
    this.uri = uri;
    this.timeout = timeout;
    this.refreshNanos = refresh.toNanos();
    this.minRefetchNanos = minRefetch.toNanos();
    long now = System.nanoTime();
    this.lastFetchEnded = now;
    // No extra fetch has happened: the first one is allowed at once.
    this.lastExtraFetch = new AtomicLong(now - minRefetchNanos - 1);
  }

  /** The keys of the last good fetch, or null when none succeeded yet. */
  @Nullable KeySet keys() {
    return keys;
  }

  /** The fetch under way, or null. */
  @Nullable CompletableFuture<Void> inFlight() {
    return inFlight.get();
  }

  /** Fetches started so far. */
  long fetches() {
    return fetches.get();
  }

  /** Starts a fetch in the background when there are no keys yet and none is under way, or the keys are older than {@code refresh}. */
  void refreshIfStale(long now) {
    if (inFlight.get() != null) return;
    if (keys == null ? fetches.get() == 0 : now - lastFetchEnded > refreshNanos) fetch();
  }

  /**
   * Takes the right to an extra fetch (a token with an unknown {@code kid}, or no keys after a failed
   * fetch): true at most once per {@code minRefetch}.
   */
  boolean claimExtraFetch(long now) {
    long last = lastExtraFetch.get();
    return now - last > minRefetchNanos && lastExtraFetch.compareAndSet(last, now);
  }

  /**
   * Starts a fetch unless one is under way, and returns the one under way. The future completes
   * normally when the fetch ends, good or not (a failure keeps the keys there were).
   */
  CompletableFuture<Void> fetch() {
    while (true) {
      CompletableFuture<Void> current = inFlight.get();
      if (current != null) return current;
      CompletableFuture<Void> mine = new CompletableFuture<>();
      if (!inFlight.compareAndSet(null, mine)) continue;
      fetches.incrementAndGet();
      HttpRequest request = HttpRequest.newBuilder(uri)
          .timeout(OutboundHttp.atLeastOneMilli(timeout))
          .header("Accept", "application/jwk-set+json, application/json")
          .GET()
          .build();
      CompletableFuture
          .supplyAsync(() -> OutboundHttp.client().sendAsync(request, OutboundHttp.bytesUpTo(MAX_BYTES)), OutboundHttp.executor())
          .thenCompose(f -> f)
          .orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
          .whenComplete((response, error) -> {
            try {
              if (error != null) {
                log.warn("JWK Set {} could not be fetched: {}", uri, describe(error));
              } else if (response.statusCode() != 200) {
                log.warn("JWK Set {} could not be fetched: status {}", uri, response.statusCode());
              } else {
                accept(new String(response.body(), StandardCharsets.UTF_8));
              }
            } finally {
              lastFetchEnded = System.nanoTime();
              inFlight.set(null);
              mine.complete(null);
            }
          });
      return mine;
    }
  }

  private void accept(String json) {
    List<JWK> jwks;
    try {
      jwks = JWKSet.parse(json).getKeys();
    } catch (java.text.ParseException e) {
      log.warn("JWK Set {} is not a valid JWK Set: {}", uri, e.getMessage());
      return;
    }
    List<Keys.Key> usable = new ArrayList<>(jwks.size());
    for (JWK jwk : jwks) {
      Keys.Key k = Keys.jwk(jwk);
      if (k != null) usable.add(k);
    }
    if (usable.isEmpty() && !jwks.isEmpty()) {
      log.warn("JWK Set {} has {} keys but none that verifies RS*, PS* or ES* signatures", uri, jwks.size());
    }
    keys = KeySet.of(usable);
  }

  private static String describe(Throwable e) {
    Throwable t = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    if (t instanceof java.util.concurrent.TimeoutException || t instanceof java.net.http.HttpTimeoutException) {
      return "timed out";
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
