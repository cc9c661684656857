package io.sluice.filters.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import io.sluice.api.ConfigObject;
import io.sluice.api.codec.Durations;
import io.sluice.api.consumer.ConsumerSpec;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filters.common.ClientAddress;
import io.sluice.filters.common.LoopCaches;
import io.sluice.filters.common.Values;
import io.sluice.filter.Attribute;
import io.sluice.filter.Attributes;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.Headers;
import io.sluice.filter.LocalResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * {@code rate-limit}: a token bucket per route, consumer, client IP or header value; a request over
 * the rate gets 429 {@code rate_limited} with {@code Retry-After} (result {@code rate-limited}).
 * Responses carry {@code RateLimit-Limit} (the burst), {@code RateLimit-Remaining} and
 * {@code RateLimit-Reset} (seconds until the bucket is full again), after the IETF
 * draft-ietf-httpapi-ratelimit-headers.
 *
 * <pre>{@code
 * - kind: rate-limit
 *   config: {requests: 100, per: 1s, burst: 200, key: consumer}
 * }</pre>
 *
 * <p>The rate is global to this gateway process: the buckets live in one bounded, concurrent map
 * (Caffeine) shared by every event loop, and taking a token is a compare-and-set on the bucket
 * (see {@link TokenBucket}); per-loop buckets would let each loop allow the whole rate. Buckets idle
 * for longer than it takes them to fill up are dropped (a full bucket holds nothing worth keeping),
 * and at most {@code maxKeys} are kept. A fleet of gateways limits each node separately. The
 * buckets survive configuration changes while the filter's place, key and rates stay the same; a
 * changed rate starts with full buckets.
 */
public final class RateLimitFilterFactory implements FilterFactory<RateLimitConfig> {
  @Override
  public String kind() {
    return "rate-limit";
  }

  @Override
  public Class<RateLimitConfig> configType() {
    return RateLimitConfig.class;
  }

  @Override
  public void validate(RateLimitConfig c, Problems problems) {
    if (c.requests() < 1) problems.add("requests", c.requests() == 0 ? "missing; expected the requests allowed per period, at least 1"
        : "expected at least 1, got " + c.requests());
    if (c.per().isNegative() || c.per().isZero()) problems.add("per", "expected a duration greater than zero, got " + Durations.format(c.per()));
    if (c.per().compareTo(Duration.ofDays(1)) > 0) problems.add("per", "expected at most 1d, got " + Durations.format(c.per()));
    if (c.burst() != null && c.burst() < 1) problems.add("burst", "expected at least 1, got " + c.burst());
    if (c.key() == RateLimitConfig.Key.HEADER) {
      Values.headerName(problems, "header", c.header());
    } else if (c.header() != null) {
      problems.add("header", "only used with key: header, but key is " + c.key().configName());
    }
    if (c.trustedHops() < 0 || c.trustedHops() > 10) problems.add("trustedHops", "expected 0 to 10, got " + c.trustedHops());
    if (c.maxKeys() < 1) problems.add("maxKeys", "expected at least 1, got " + c.maxKeys());
  }

  /** A rate in the units the bucket uses. */
  private record Rate(long interval, int burst, String limit) {
    static Rate of(int requests, Duration per, int burst) {
      return new Rate(Math.max(1, per.toNanos() / requests), burst, Integer.toString(burst));
    }
  }

  @Override
  public Filter create(RateLimitConfig c, FilterEnvironment env) {
    Rate rate = Rate.of(c.requests(), c.per(), c.effectiveBurst());
    Map<String, Rate> consumerRates = new HashMap<>();
    if (c.key() == RateLimitConfig.Key.CONSUMER) {
      for (ConfigObject<ConsumerSpec> consumer : env.config().consumers()) {
        ConsumerSpec.RateLimit r = consumer.spec().rateLimit();
        if (r != null) consumerRates.put(consumer.name(), Rate.of(r.requests(), r.per(), r.effectiveBurst()));
      }
    }
    long longestFill = rate.interval * rate.burst;
    for (Rate r : consumerRates.values()) longestFill = Math.max(longestFill, r.interval * r.burst);
    Duration idle = Duration.ofNanos(Math.max(longestFill, Duration.ofSeconds(1).toNanos()));
    // A changed rate starts with full buckets: an operator who raises a limit means it to apply now.
    String sharedKey = c.key().configName() + "|" + c.header() + "|" + c.maxKeys() + "|" + c.requests() + "/" + c.per()
        + "|" + c.effectiveBurst() + "|" + consumerRates;
    Cache<String, TokenBucket> buckets = env.shared(sharedKey, () -> newBuckets(c.maxKeys(), idle));
    // One key per place: a chain may limit per consumer and per route, each reporting its own bucket.
    // The bucket and rate (objects that exist anyway) are kept, not an outcome: nothing is allocated.
    Attribute<TokenBucket> takenFrom = env.shared("bucket", () -> Attribute.of("rate-limit.bucket"));
    Attribute<Rate> takenAt = env.shared("rate", () -> Attribute.of("rate-limit.rate"));
    RateLimitConfig.Key key = c.key();
    String header = c.header();
    int hops = c.trustedHops();
    boolean withHeaders = c.headers();
    return new Filter() {
      @Override
      public FilterResult onRequest(Exchange x) {
        String k;
        Rate r = rate;
        switch (key) {
          case ROUTE -> k = x.route();
          case CONSUMER -> {
            ConfigObject<ConsumerSpec> consumer = x.attribute(Attributes.CONSUMER);
            if (consumer != null) {
              k = "c:" + consumer.name();
              Rate own = consumerRates.get(consumer.name());
              if (own != null) r = own;
            } else {
              k = "ip:" + ClientAddress.of(x.request(), hops);
            }
          }
          case CLIENT_IP -> k = ClientAddress.of(x.request(), hops);
          default -> {
            String v = x.request().headers().get(Objects.requireNonNull(header)); // key: header requires one
            k = v != null ? "h:" + v : "ip:" + ClientAddress.of(x.request(), hops);
          }
        }
        TokenBucket bucket = buckets.get(k, unused -> new TokenBucket());
        long now = System.nanoTime();
        long taken = bucket.take(now, r.interval, r.burst);
        if (taken >= 0) {
          if (withHeaders) {
            x.setAttribute(takenFrom, bucket);
            x.setAttribute(takenAt, r);
          }
          return FilterResult.CONTINUE;
        }
        TokenBucket.Outcome o = TokenBucket.outcome(taken, now, r.interval, r.burst);
        LocalResponse.Builder b = LocalResponse.error(429, "rate_limited", "rate limit exceeded; retry in "
            + seconds(o.retryAfterNanos()) + "s").toBuilder().header("Retry-After", Long.toString(seconds(o.retryAfterNanos())));
        if (withHeaders) {
          b.header("RateLimit-Limit", r.limit).header("RateLimit-Remaining", "0")
              .header("RateLimit-Reset", Long.toString(seconds(o.resetNanos())));
        }
        return FilterResult.respond("rate-limited", b.build());
      }

      @Override
      public FilterResult onResponse(Exchange x) {
        TokenBucket bucket = x.attribute(takenFrom);
        Rate r = x.attribute(takenAt);
        if (bucket == null || r == null) return FilterResult.CONTINUE;
        // The bucket as it is now, when the response goes out (other requests may have taken tokens since).
        long now = System.nanoTime();
        long tat = bucket.tat();
        Headers h = x.response().headers();
        h.set("RateLimit-Limit", r.limit);
        int remaining = TokenBucket.remaining(tat, now, r.interval, r.burst);
        h.set("RateLimit-Remaining", remaining == r.burst ? r.limit : decimal(remaining));
        h.set("RateLimit-Reset", decimal(seconds(Math.max(0, tat - now))));
        return FilterResult.CONTINUE;
      }
    };
  }

  /**
   * The buckets of one filter place: at most {@code maxKeys}, each dropped after {@code idle}
   * without a request. Read by every request on the event loops, so its maintenance runs on them
   * ({@link LoopCaches}) rather than waking another thread every few requests.
   */
  static Cache<String, TokenBucket> newBuckets(int maxKeys, Duration idle) {
    return LoopCaches.newBuilder().maximumSize(maxKeys).expireAfterAccess(idle).build();
  }

  /**
   * The decimal strings of 0 to 255, made once: the remaining count of a small bucket and the
   * seconds until a bucket is full are nearly always in this range, and every response carries them.
   */
  private static final String[] SMALL = java.util.stream.IntStream.range(0, 256).mapToObj(Integer::toString).toArray(String[]::new);

  /** {@code n} in decimal, without building a string for the common small values. */
  static String decimal(long n) {
    return n >= 0 && n < SMALL.length ? SMALL[(int) n] : Long.toString(n);
  }

  /** Whole seconds, rounded up: a client that waits this long finds a token. */
  private static long seconds(long nanos) {
    return Math.max(0, (nanos + 999_999_999L) / 1_000_000_000L);
  }
}
