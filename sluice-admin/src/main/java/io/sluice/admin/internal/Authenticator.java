package io.sluice.admin.internal;

import io.sluice.admin.AdminToken;
import java.security.MessageDigest;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Finds who sends a request from its {@code Authorization} header. With no tokens every request is
 * {@link Principal#LOCAL} (the server refuses to start that way on a non-loopback address); with
 * tokens a request needs {@code Authorization: Bearer <token>} naming one of them. Thread-safe.
 */
public final class Authenticator {
  private record Known(byte[] digest, Principal principal) {}

  private final List<Known> known;

  public Authenticator(List<AdminToken> tokens) {
    this.known = tokens.stream().map(t -> new Known(t.digest(), new Principal(t.name(), t.roles()))).toList();
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
