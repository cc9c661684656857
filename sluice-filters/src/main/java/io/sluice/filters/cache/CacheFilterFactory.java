package io.sluice.filters.cache;

import com.github.benmanes.caffeine.cache.Cache;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filters.common.LoopCaches;
import io.sluice.filter.Attribute;
import io.sluice.filter.Body;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.Headers;
import io.sluice.filter.LocalResponse;
import io.sluice.filter.Request;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code cache}: an in-memory HTTP response cache (Caffeine, bounded in bytes, shared by every
 * event loop and kept across configuration changes).
 *
 * <pre>{@code
 * - kind: cache
 *   config: {maxSize: 64MiB, maxEntrySize: 1MiB, defaultTtl: 30s}
 * }</pre>
 *
 * <p>GET responses are stored under method-less key host + path + query + the request's values of
 * the headers the response's Vary names; HEAD is answered from them. Stored: the {@code statuses}
 * (default 200, 203, 300, 301, 404, 410) of GET requests without Authorization, with explicit
 * freshness (s-maxage, max-age, Expires) or, without it, {@code defaultTtl}; never responses with
 * no-store, private or no-cache, Set-Cookie, {@code Vary: *}, or bodies over {@code maxEntrySize}.
 * A request with {@code Cache-Control: no-cache} or {@code no-store} (or {@code Pragma: no-cache})
 * bypasses the cache (no-cache still stores the fresh response). A fresh hit is answered by the
 * gateway, without the upstream, with {@code Age} and {@code X-Cache: HIT}; what went upstream gets
 * {@code X-Cache: MISS}.
 */
public final class CacheFilterFactory implements FilterFactory<CacheConfig> {
  private static final Set<String> NOT_STORED = Set.of("age", "x-cache", "date", "content-length",
      "transfer-encoding", "connection", "keep-alive");

  /** A stored response. */
  record Entry(int status, List<String> headers, byte[] body, long storedAtNanos, long freshNanos, long initialAgeSeconds) {
    int weight() {
      int w = 64 + body.length;
      for (String h : headers) w += h.length() + 16;
      return w;
    }
  }

  /** The Vary header names (lower case) of the last response stored under a base key. */
  record Variants(List<String> names) {}

  @Override
  public String kind() {
    return "cache";
  }

  @Override
  public Class<CacheConfig> configType() {
    return CacheConfig.class;
  }

  @Override
  public void validate(CacheConfig c, Problems problems) {
    if (c.maxSize() != null && c.maxSize().bytes() == 0) problems.add("maxSize", "must be greater than 0");
    if (c.maxEntrySize() != null && (c.maxEntrySize().bytes() == 0 || c.maxEntrySize().bytes() > Integer.MAX_VALUE / 2)) {
      problems.add("maxEntrySize", "must be between 1 byte and 1GiB");
    }
    if (c.maxEntryBytes() > c.maxBytes()) problems.add("maxEntrySize", "larger than maxSize (" + c.maxBytes() + " bytes)");
    if (c.defaultTtl() != null && (c.defaultTtl().isNegative() || c.defaultTtl().isZero())) {
      problems.add("defaultTtl", "must be positive, e.g. 30s");
    }
    for (int i = 0; i < c.statuses().size(); i++) {
      Integer s = c.statuses().get(i);
      if (s == null || s < 200 || s > 599) problems.add("statuses[" + i + "]", "expected a status from 200 to 599, got " + s);
    }
  }

  @Override
  public Filter create(CacheConfig c, FilterEnvironment env) {
    long maxBytes = c.maxBytes();
    Cache<String, Object> cache = env.shared("cache-" + maxBytes, () -> LoopCaches.newBuilder()
        .maximumWeight(maxBytes)
        .<String, Object>weigher((k, v) -> k.length() + (v instanceof Entry e ? e.weight() : 64))
        .build());
    Attribute<String> keyAttr = env.shared("key", () -> Attribute.of("cache.key"));
    long entryLimit = c.maxEntryBytes();
    long defaultTtl = c.defaultTtl() == null ? 0 : c.defaultTtl().toNanos();
    Set<Integer> statuses = Set.copyOf(c.statuses());
    return new Filter() {
      @Override
      public long bufferResponseBody() {
        return entryLimit;
      }

      @Override
      public FilterResult onRequest(Exchange x) {
        Request r = x.request();
        String method = r.method();
        if (!method.equals("GET") && !method.equals("HEAD")) return FilterResult.CONTINUE;
        if (r.headers().contains("Authorization")) return FilterResult.CONTINUE;
        String cc = join(r.headers().getAll("Cache-Control"));
        boolean noStore = has(cc, "no-store");
        boolean noCache = has(cc, "no-cache") || has(join(r.headers().getAll("Pragma")), "no-cache");
        String base = r.authority().toLowerCase(Locale.ROOT) + " " + r.path() + (r.query() == null ? "" : "?" + r.query());
        if (!noCache && !noStore) {
          Object v = cache.getIfPresent(base);
          if (v instanceof Variants variants) {
            Object e = cache.getIfPresent(fullKey(base, variants.names(), r.headers()));
            if (e instanceof Entry entry) {
              long now = System.nanoTime();
              if (now - entry.storedAtNanos() < entry.freshNanos()) return FilterResult.respond("hit", hit(entry, now));
            }
          }
        }
        // HEAD responses have no body to store; no-store stores nothing.
        if (method.equals("GET") && !noStore) x.setAttribute(keyAttr, base);
        return FilterResult.CONTINUE;
      }

      @Override
      public FilterResult onResponse(Exchange x) {
        if (!x.response().isLocal()) x.response().headers().set("X-Cache", "MISS");
        return FilterResult.CONTINUE;
      }

      @Override
      public void onResponseBody(Exchange x) {
        String base = x.attribute(keyAttr);
        if (base == null || x.response().isLocal() || !statuses.contains(x.response().status())) return;
        Headers h = x.response().headers();
        String cc = join(h.getAll("Cache-Control"));
        if (has(cc, "no-store") || has(cc, "private") || has(cc, "no-cache") || h.contains("Set-Cookie")) return;
        long ttl = freshness(cc, h, defaultTtl);
        if (ttl <= 0) return;
        List<String> vary = new ArrayList<>();
        for (String v : h.getAll("Vary")) {
          for (String t : v.split(",")) {
            String name = t.strip().toLowerCase(Locale.ROOT);
            if (name.equals("*")) return;
            if (!name.isEmpty()) vary.add(name);
          }
        }
        List<String> stored = new ArrayList<>();
        h.forEach((name, value) -> {
          if (!NOT_STORED.contains(name.toLowerCase(Locale.ROOT))) {
            stored.add(name);
            stored.add(value);
          }
        });
        String ageHeader = h.get("Age");
        long age = 0;
        if (ageHeader != null) {
          try {
            age = Long.parseLong(ageHeader.strip());
          } catch (NumberFormatException e) {
            age = 0;
          }
        }
        // onResponseBody runs only with the body buffered
        Body b = Objects.requireNonNull(x.response().body());
        long remaining = ttl - Duration.ofSeconds(age).toNanos();
        if (remaining <= 0) return;
        cache.put(base, new Variants(List.copyOf(vary)));
        cache.put(fullKey(base, vary, x.request().headers()),
            new Entry(x.response().status(), List.copyOf(stored), b.toByteArray(), System.nanoTime(), remaining, age));
      }
    };
  }

  private static LocalResponse hit(Entry e, long now) {
    LocalResponse.Builder b = LocalResponse.builder(e.status());
    List<String> h = e.headers();
    for (int i = 0; i < h.size(); i += 2) b.header(h.get(i), h.get(i + 1));
    long age = e.initialAgeSeconds() + (now - e.storedAtNanos()) / 1_000_000_000L;
    b.header("Age", Long.toString(age)).header("X-Cache", "HIT");
    return b.body(e.body()).build();
  }

  /** The base key plus the request's values of the Vary headers. */
  private static String fullKey(String base, List<String> vary, Headers requestHeaders) {
    if (vary.isEmpty()) return base + "\n";
    StringBuilder k = new StringBuilder(base).append('\n');
    for (String name : vary) k.append(name).append('=').append(join(requestHeaders.getAll(name))).append('\n');
    return k.toString();
  }

  /** How long the response is fresh (nanoseconds): s-maxage, max-age, Expires - Date, else the default. */
  static long freshness(String cc, Headers h, long defaultTtl) {
    long s = directive(cc, "s-maxage");
    if (s >= 0) return Duration.ofSeconds(s).toNanos();
    long m = directive(cc, "max-age");
    if (m >= 0) return Duration.ofSeconds(m).toNanos();
    String expires = h.get("Expires");
    if (expires != null) {
      ZonedDateTime exp = date(expires);
      if (exp == null) return 0;
      ZonedDateTime date = h.get("Date") == null ? null : date(h.get("Date"));
      ZonedDateTime from = date != null ? date : ZonedDateTime.now();
      return Duration.between(from, exp).toNanos();
    }
    return defaultTtl;
  }

  private static @Nullable ZonedDateTime date(String v) {
    try {
      return ZonedDateTime.parse(v.strip(), DateTimeFormatter.RFC_1123_DATE_TIME);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** The seconds of {@code name=N} in a Cache-Control value, or -1. */
  private static long directive(String cc, String name) {
    for (String part : cc.split(",")) {
      String p = part.strip().toLowerCase(Locale.ROOT);
      if (p.startsWith(name + "=")) {
        try {
          return Long.parseLong(p.substring(name.length() + 1).replace("\"", ""));
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return -1;
  }

  private static boolean has(String cc, String directive) {
    for (String part : cc.split(",")) {
      String p = part.strip().toLowerCase(Locale.ROOT);
      if (p.equals(directive) || p.startsWith(directive + "=")) return true;
    }
    return false;
  }

  private static String join(List<String> values) {
    return values.isEmpty() ? "" : values.size() == 1 ? values.get(0) : String.join(", ", values);
  }
}
