package io.sluice.filters.basicauth;

import com.github.benmanes.caffeine.cache.Cache;
import io.sluice.api.ConfigObject;
import io.sluice.api.consumer.ConsumerSpec;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.api.filter.FilterConfigValidator.Reference;
import io.sluice.filters.common.ConsumerRefs;
import io.sluice.filters.common.LoopCaches;
import io.sluice.filter.Attributes;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.LocalResponse;
import io.sluice.filter.Request;
import io.sluice.filter.HeaderRules;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import org.jspecify.annotations.Nullable;
import org.springframework.security.crypto.bcrypt.BCrypt;

/**
 * {@code basic-auth}: authenticates a request by HTTP Basic credentials (RFC 7617) against the
 * Consumers' {@code spec.basicAuth}. The Consumer goes into {@link Attributes#CONSUMER}, and with
 * {@code consumerHeader} to the upstream by name; the Authorization header is removed unless
 * {@code hideCredentials: false}.
 *
 * <pre>{@code
 * - kind: basic-auth
 *   config: {realm: admin, consumerHeader: X-Consumer}
 * }</pre>
 *
 * <p>Missing, malformed or wrong credentials get 401 {@code unauthorized} with
 * {@code WWW-Authenticate: Basic realm="sluice", charset="UTF-8"} (result {@code unauthorized}); a
 * consumer not in {@code consumers} gets 403 {@code consumer_forbidden}. Credentials are decoded as
 * UTF-8; passwords are compared in constant time. A request that an earlier filter already
 * authenticated passes untouched, subject to {@code consumers}.
 *
 * <p>A Consumer with a {@code passwordHash} (bcrypt) is checked off the event loop: bcrypt is slow
 * on purpose (2^cost rounds, milliseconds to a second), so the check runs on the blocking
 * executor, at most one per core at a time, and the chain waits for it (async). A success is
 * remembered (user and a SHA-256 of the password given, for 10 minutes, up to 10,000 entries), so
 * a client that sends the same credentials on every request pays bcrypt once, not per request.
 */
public final class BasicAuthFilterFactory implements FilterFactory<BasicAuthConfig> {
  @Override
  public String kind() {
    return "basic-auth";
  }

  @Override
  public Class<BasicAuthConfig> configType() {
    return BasicAuthConfig.class;
  }

  @Override
  public void validate(BasicAuthConfig c, Problems problems) {
    if (c.consumerHeader() != null) {
      try {
        HeaderRules.checkName(c.consumerHeader(), false);
      } catch (IllegalArgumentException e) {
        problems.add("consumerHeader", String.valueOf(e.getMessage()));
      }
    }
    if (!c.realm().matches("[\\x20-\\x7e&&[^\"\\\\]]+")) problems.add("realm", "expected printable characters without quotes or backslashes");
  }

  @Override
  public List<Reference> references(BasicAuthConfig c) {
    return ConsumerRefs.of(c.consumers());
  }

  /** @param password the plain password, or null when {@code hash} (bcrypt) is set */
  private record Account(ConfigObject<ConsumerSpec> consumer, byte @Nullable [] password, @Nullable String hash) {}

  /** bcrypt checks running at once, per filter: one per core, so logins cannot take every core from the loops. */
  private static final int CONCURRENT_HASH_CHECKS = Runtime.getRuntime().availableProcessors();

  @Override
  public Filter create(BasicAuthConfig c, FilterEnvironment env) {
    Map<String, Account> byUser = new HashMap<>();
    for (ConfigObject<ConsumerSpec> consumer : env.config().consumers()) {
      ConsumerSpec.BasicAuth b = consumer.spec().basicAuth();
      if (b == null || b.username() == null) continue;
      if (b.password() != null) {
        byUser.put(b.username(), new Account(consumer, b.password().getBytes(StandardCharsets.UTF_8), null));
      } else if (b.passwordHash() != null) {
        byUser.put(b.username(), new Account(consumer, null, b.passwordHash()));
      }
    }
    Set<String> allowed = new HashSet<>(c.consumers());
    boolean hide = c.hideCredentials();
    String consumerHeader = c.consumerHeader();
    String challenge = "Basic realm=\"" + c.realm() + "\", charset=\"UTF-8\"";
    FilterResult missing = FilterResult.respond("unauthorized", LocalResponse.error(401, "unauthorized",
        "missing basic credentials").toBuilder().header("WWW-Authenticate", challenge).build());
    FilterResult invalid = FilterResult.respond("unauthorized", LocalResponse.error(401, "unauthorized",
        "invalid basic credentials").toBuilder().header("WWW-Authenticate", challenge).build());
    FilterResult forbidden = FilterResult.respond("forbidden",
        LocalResponse.error(403, "consumer_forbidden", "this consumer may not use this route"));
    // Compared against when the user is unknown, so that the answer takes as long as for a wrong password.
    byte[] decoy = new byte[32];
    // Successful bcrypt checks, by user and SHA-256 of the password given.
    Cache<String, Boolean> verified = LoopCaches.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofMinutes(10)).build();
    Semaphore hashChecks = new Semaphore(CONCURRENT_HASH_CHECKS);
    Executor blocking = env.blockingExecutor();
    return new Filter() {
      private FilterResult accept(Exchange x, Request r, Account a) {
        if (!allowed.isEmpty() && !allowed.contains(a.consumer().name())) return forbidden;
        x.setAttribute(Attributes.CONSUMER, a.consumer());
        if (hide) r.headers().remove("authorization");
        if (consumerHeader != null) r.headers().set(consumerHeader, a.consumer().name());
        return FilterResult.CONTINUE;
      }

      /** Checks {@code given} against the bcrypt hash of {@code a}: from memory, or off the loop. */
      private FilterResult checkHash(Exchange x, Request r, Account a, String user, String given, String hash) {
        String key = user + '\0' + sha256(given);
        if (verified.getIfPresent(key) != null) return accept(x, r, a);
        CompletableFuture<Boolean> check = CompletableFuture.supplyAsync(() -> {
          hashChecks.acquireUninterruptibly();
          try {
            return BCrypt.checkpw(given, hash);
          } catch (IllegalArgumentException e) {
            return false; // validation accepts only well-formed hashes; a malformed one matches nothing
          } finally {
            hashChecks.release();
          }
        }, blocking);
        // Back on the exchange's loop before touching the exchange.
        return FilterResult.async(check.thenApplyAsync(ok -> {
          if (!ok) return invalid;
          verified.put(key, Boolean.TRUE);
          return accept(x, r, a);
        }, x.executor()));
      }

      @Override
      public FilterResult onRequest(Exchange x) {
        ConfigObject<ConsumerSpec> already = x.attribute(Attributes.CONSUMER);
        if (already != null) {
          // Authenticated by an earlier filter (a flow that tries one method, then another).
          return allowed.isEmpty() || allowed.contains(already.name()) ? FilterResult.CONTINUE : forbidden;
        }
        Request r = x.request();
        String authorization = r.headers().get("authorization");
        if (authorization == null || authorization.length() < 6 || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
          return missing;
        }
        String decoded;
        try {
          decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          return invalid;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) return invalid;
        String user = decoded.substring(0, colon);
        Account a = byUser.get(user);
        String hash = a == null ? null : a.hash();
        if (a != null && hash != null) return checkHash(x, r, a, user, decoded.substring(colon + 1), hash);
        byte[] given = decoded.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
        byte[] expected = a == null ? null : a.password();
        boolean ok = MessageDigest.isEqual(expected == null ? decoy : expected, given);
        if (a == null || !ok) return invalid;
        return accept(x, r, a);
      }
    };
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
