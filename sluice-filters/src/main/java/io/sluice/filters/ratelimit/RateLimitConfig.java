package io.sluice.filters.ratelimit;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The {@code rate-limit} filter's config: a token bucket per key, {@code requests} per {@code per}
 * on average with bursts of up to {@code burst}.
 *
 * @param requests requests allowed per {@code per}; at least 1; required
 * @param per the period (default 1s)
 * @param burst how many requests may come at once (default {@code requests})
 * @param key what a bucket counts: {@code route} (default), {@code consumer}, {@code client-ip}
 *     or {@code header}
 * @param header the header whose value is the key, with {@code key: header}
 * @param trustedHops with {@code key: client-ip}, proxies in front that append to X-Forwarded-For
 * @param maxKeys the most buckets kept (default 100000); the least recently used go first, and a
 *     bucket that comes back starts full
 * @param headers add {@code RateLimit-Limit}, {@code RateLimit-Remaining} and
 *     {@code RateLimit-Reset} to responses (default true)
 */
public record RateLimitConfig(
    Integer requests, Duration per, @Nullable Integer burst, Key key, @Nullable String header, Integer trustedHops,
    Integer maxKeys, Boolean headers) {
  public RateLimitConfig {
    requests = requests == null ? 0 : requests;
    per = per == null ? Duration.ofSeconds(1) : per;
    key = key == null ? Key.ROUTE : key;
    trustedHops = trustedHops == null ? 0 : trustedHops;
    maxKeys = maxKeys == null ? 100_000 : maxKeys;
    headers = headers == null || headers;
  }

  int effectiveBurst() {
    return burst == null ? requests : burst;
  }

  /** What a bucket counts. */
  public enum Key {
    /** One bucket per route: the route's total rate. */
    ROUTE("route"),
    /** One bucket per Consumer (set by an authentication filter before this one); the Consumer's own
     * {@code rateLimit} replaces the filter's; requests without a Consumer count per client IP. */
    CONSUMER("consumer"),
    /** One bucket per client address. */
    CLIENT_IP("client-ip"),
    /** One bucket per value of {@code header}; requests without it count per client IP. */
    HEADER("header");

    private final String configName;

    Key(String configName) {
      this.configName = configName;
    }

    @JsonValue
    public String configName() {
      return configName;
    }

    @JsonCreator
    public static Key fromConfigName(String name) {
      for (Key k : values()) {
        if (k.configName.equals(name)) return k;
      }
      throw new IllegalArgumentException("expected one of " + Arrays.stream(values()).map(Key::configName)
          .collect(Collectors.joining(", ")) + ", got '" + name + "'");
    }
  }
}
