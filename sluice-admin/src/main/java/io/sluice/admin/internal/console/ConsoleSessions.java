package io.sluice.admin.internal.console;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.sluice.admin.internal.ApiError;
import io.sluice.admin.internal.Principal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The web console's login sessions (docs/security.md, "The console's session"). A session is made
 * when a browser presents a valid admin token to the login form; the browser then holds only the
 * session's random id in an {@code HttpOnly}, {@code SameSite=Strict} cookie, never the token. Each
 * session has its own CSRF token: a request that may change something and is authenticated by the
 * cookie must also send it in {@value #CSRF_HEADER}, so a forged request fails even if a browser
 * attached the cookie.
 *
 * <p>A session ends on logout, after {@link #IDLE} without a request, or {@link #LIFETIME} after the
 * login, whichever comes first. At most {@link #MAX_SESSIONS} live at once; a login beyond that ends
 * the oldest. Sessions live in memory: a restart logs everyone out.
 *
 * <p>Thread-safe: called concurrently from the admin API's request threads.
 */
public final class ConsoleSessions {
  public static final String COOKIE = "sluice_session";
  public static final String CSRF_HEADER = "X-Sluice-Csrf";
  public static final Duration IDLE = Duration.ofMinutes(30);
  public static final Duration LIFETIME = Duration.ofHours(12);
  public static final int MAX_SESSIONS = 1000;
  private static final Set<HttpMethod> SAFE = Set.of(HttpMethod.GET, HttpMethod.HEAD);
  private static final int RANDOM_BYTES = 32;

  /** One login: {@code lastSeen} moves with each request. */
  public static final class Session {
    private final String id;
    private final String csrf;
    private final Principal principal;
    private final Instant created;
    private volatile Instant lastSeen;

    private Session(String id, String csrf, Principal principal, Instant created) {
      this.id = id;
      this.csrf = csrf;
      this.principal = principal;
      this.created = created;
      this.lastSeen = created;
    }

    public String id() {
      return id;
    }

    /** The token the console sends in {@value #CSRF_HEADER} with each request that may change something. */
    public String csrf() {
      return csrf;
    }

    public Principal principal() {
      return principal;
    }
  }

  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final Clock clock;

  public ConsoleSessions(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Starts a session for {@code principal}, who presented a valid token. */
  public Session create(Principal principal) {
    Instant now = clock.instant();
    sessions.values().removeIf(s -> expired(s, now));
    while (sessions.size() >= MAX_SESSIONS) {
      sessions.values().stream().min(Comparator.comparing(s -> s.created)).ifPresent(s -> sessions.remove(s.id, s));
    }
    Session s = new Session(randomToken(), randomToken(), principal, now);
    sessions.put(s.id, s);
    return s;
  }

  /** The live session the request's cookie names, or null (no cookie, unknown, expired). */
  public @Nullable Session find(HttpHeaders headers) {
    String id = cookie(headers);
    if (id == null) return null;
    Session s = sessions.get(id);
    if (s == null) return null;
    Instant now = clock.instant();
    if (expired(s, now)) {
      sessions.remove(id, s);
      return null;
    }
    s.lastSeen = now;
    return s;
  }

  /**
   * Who sent a request authenticated by a session cookie, or null when it names no live session.
   *
   * @throws ApiError 403 (reason {@code csrf}) when the method may change something and the request
   *     lacks the session's CSRF token
   */
  public @Nullable Principal authenticate(HttpMethod method, HttpHeaders headers) {
    Session s = find(headers);
    if (s == null) return null;
    if (!SAFE.contains(method)) checkCsrf(s, headers);
    return s.principal;
  }

  /** Ends the session; a later request with its cookie is unauthenticated. */
  public void end(Session s) {
    sessions.remove(s.id, s);
  }

  private static void checkCsrf(Session s, HttpHeaders headers) {
    String sent = headers.get(CSRF_HEADER);
    if (sent == null || !MessageDigest.isEqual(sent.strip().getBytes(StandardCharsets.US_ASCII), s.csrf.getBytes(StandardCharsets.US_ASCII))) {
      throw ApiError.refused("csrf", (sent == null ? "the request has no " + CSRF_HEADER + " header" : "the " + CSRF_HEADER
          + " header is not this session's") + ": a request that changes something and is authenticated by the console's"
          + " session cookie must carry the session's CSRF token (GET /console/session returns it). Other clients send"
          + " Authorization: Bearer <token> instead");
    }
  }

  private boolean expired(Session s, Instant now) {
    return !now.isBefore(s.lastSeen.plus(IDLE)) || !now.isBefore(s.created.plus(LIFETIME));
  }

  private static @Nullable String cookie(HttpHeaders headers) {
    String found = null;
    for (String header : headers.getAll(HttpHeaderNames.COOKIE)) {
      for (Cookie c : ServerCookieDecoder.STRICT.decodeAll(header)) {
        if (c.name().equals(COOKIE)) {
          // Two session cookies (one planted by a sibling site on a parent domain): trust neither.
          if (found != null) return null;
          found = c.value();
        }
      }
    }
    return found;
  }

  private String randomToken() {
    byte[] b = new byte[RANDOM_BYTES];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
