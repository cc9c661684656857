package io.sluice.admin.internal;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.sluice.admin.AdminToken;
import java.security.MessageDigest;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Finds who sends a request from its {@code Authorization} header. With no tokens every request is
 * {@link Principal#LOCAL} (the server refuses to start that way on a non-loopback address); with
 * tokens a request needs {@code Authorization: Bearer <token>} naming one of them, or, without that
 * header, a web console session ({@link SessionAuthentication}). Thread-safe.
 */
public final class Authenticator {
  private record Known(byte[] digest, Principal principal) {}

  /** Finds the principal of a request that carries a browser session instead of a token. */
  public interface SessionAuthentication {
    /**
     * The principal of the session the request names, or null when it names none.
     *
     * @throws ApiError 403 when the session is live but the request may not use it (CSRF)
     */
    @Nullable Principal authenticate(HttpMethod method, HttpHeaders headers);
  }

  private final List<Known> known;
  private final @Nullable SessionAuthentication sessions;

  public Authenticator(List<AdminToken> tokens) {
    this(tokens, null);
  }

  /** @param sessions the console's sessions, consulted for requests without an {@code Authorization} header */
  public Authenticator(List<AdminToken> tokens, @Nullable SessionAuthentication sessions) {
    this.known = tokens.stream().map(t -> new Known(t.digest(), new Principal(t.name(), t.roles()))).toList();
    this.sessions = sessions;
  }

  /**
   * The sender of a request: its bearer token, else its console session.
   *
   * @throws ApiError 401 as {@link #authenticate(String)}; 403 from the session check
   */
  public Principal authenticate(HttpMethod method, HttpHeaders headers) {
    String authorization = headers.get(HttpHeaderNames.AUTHORIZATION);
    if (!known.isEmpty() && authorization == null && sessions != null) {
      Principal p = sessions.authenticate(method, headers);
      if (p != null) return p;
    }
    return authenticate(authorization);
  }

  public boolean open() {
    return known.isEmpty();
  }

  /**
   * The sender of a request with this {@code Authorization} header value.
   *
   * @throws ApiError 401 when tokens are configured and the header is missing, not a bearer token,
   *     or names no known token
   */
  public Principal authenticate(@Nullable String authorization) {
    if (known.isEmpty()) return Principal.LOCAL;
    if (authorization == null) throw ApiError.unauthorized("this admin API needs a token: send Authorization: Bearer <token>");
    String value = authorization.strip();
    if (value.length() < 7 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw ApiError.unauthorized("the Authorization header must be 'Bearer <token>'");
    }
    byte[] presented = AdminToken.sha256(value.substring(7).strip());
    // Constant time over digests: the comparison reveals neither a token nor how much of one matched,
    // and every known token is compared so the time does not say which one did.
    Principal found = null;
    for (Known k : known) {
      if (MessageDigest.isEqual(k.digest(), presented) && found == null) found = k.principal();
    }
    if (found == null) throw ApiError.unauthorized("unknown token");
    return found;
  }
}
