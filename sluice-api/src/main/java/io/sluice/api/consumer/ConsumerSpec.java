package io.sluice.api.consumer;

import io.sluice.api.Credential;
import io.sluice.api.Spec;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * An API caller: the credentials it proves itself with, and its own limits. The {@code key-auth}
 * and {@code basic-auth} filters find the Consumer whose credentials a request carries and record
 * it on the exchange, where later filters ({@code rate-limit} keyed by consumer) and the access log
 * read it.
 *
 * <pre>{@code
 * spec:
 *   keyAuth: {key: 3f6c1d0e-...}
 *   basicAuth: {username: alice, password: s3cret}
 *   rateLimit: {requests: 100, per: 1s, burst: 200}
 * }</pre>
 *
 * <p>Credentials are stored as written, like APISIX and Kong store them: whoever can read the
 * configuration files or the store can read them, so protect those as secrets; the admin API shows
 * them only to editors ({@link Credential}). Keys must be unique among Consumers, and so must
 * basic-auth user names.
 *
 * @param keyAuth the API key, for the {@code key-auth} filter
 * @param basicAuth a user name and password, for the {@code basic-auth} filter
 * @param rateLimit this consumer's own rate, used instead of the {@code rate-limit} filter's when
 *     that filter counts per consumer
 */
public record ConsumerSpec(@Nullable KeyAuth keyAuth, @Nullable BasicAuth basicAuth, @Nullable RateLimit rateLimit)
    implements Spec {

  /** @param key the API key the caller sends; at least 8 characters */
  public record KeyAuth(@Credential @Nullable String key) {}

  /**
   * Exactly one of {@code password} and {@code passwordHash}.
   *
   * @param username the user name; unique among Consumers; no {@code :}
   * @param password the password as the caller sends it
   * @param passwordHash a bcrypt hash of the password ({@code $2a$}, {@code $2b$} or {@code $2y$},
   *     cost 4 to 14), as {@code htpasswd -nbB user password} prints it after the colon: the store
   *     then holds no password
   */
  public record BasicAuth(@Nullable String username, @Credential @Nullable String password,
      @Credential @Nullable String passwordHash) {}

  /**
   * A token bucket: {@code requests} per {@code per} on average, with bursts of up to {@code burst}.
   *
   * @param requests requests allowed per {@code per}; at least 1
   * @param per the period {@code requests} refer to; default 1s
   * @param burst the bucket size: how many requests may come at once; default {@code requests}
   */
  public record RateLimit(Integer requests, Duration per, @Nullable Integer burst) {
    public RateLimit {
      requests = requests == null ? 0 : requests;
      per = per == null ? Duration.ofSeconds(1) : per;
    }

    /** {@link #burst} or, when left out, {@link #requests}. */
    public int effectiveBurst() {
      return burst == null ? requests : burst;
    }
  }
}
