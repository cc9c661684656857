package io.sluice.filters.jwt;

import io.sluice.api.Credential;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The {@code jwt} filter's config.
 *
 * @param issuers the issuers whose tokens are accepted, each with its keys; at least one
 * @param header the request header that carries the token (default {@code Authorization}, where
 *     it must be {@code Bearer <token>}; in another header a {@code Bearer } prefix is optional)
 * @param query a query parameter that may carry the token when the header does not
 * @param clockSkew how far {@code exp} and {@code nbf} may be off (default 30s)
 * @param requireExpiration refuse tokens without {@code exp} (default true)
 * @param claimsToHeaders claims sent upstream in request headers ({@code {sub: X-User-Id}}); the
 *     client's own values of these headers are always removed
 * @param consumerClaim a claim whose value names the Consumer the request authenticates as (e.g.
 *     {@code sub}); a token whose claim names no Consumer is refused. An issuer's {@code consumer}
 *     takes precedence.
 * @param consumerHeader a request header the upstream gets with the Consumer's name
 * @param consumers when not empty, only these Consumers pass; others get 403
 * @param hideCredentials remove the token from the request before it goes upstream (default false:
 *     upstreams often read the token's claims themselves)
 * @param realm the realm in {@code WWW-Authenticate} (default {@code sluice})
 */
public record JwtConfig(
    List<Issuer> issuers, String header, @Nullable String query, Duration clockSkew, Boolean requireExpiration,
    Map<String, String> claimsToHeaders, @Nullable String consumerClaim, @Nullable String consumerHeader,
    List<String> consumers, Boolean hideCredentials, String realm) {
  public JwtConfig {
    issuers = issuers == null ? List.of() : List.copyOf(issuers);
    header = header == null ? "Authorization" : header;
    clockSkew = clockSkew == null ? Duration.ofSeconds(30) : clockSkew;
    requireExpiration = requireExpiration == null || requireExpiration;
    claimsToHeaders = claimsToHeaders == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(claimsToHeaders));
    consumers = consumers == null ? List.of() : List.copyOf(consumers);
    hideCredentials = hideCredentials != null && hideCredentials;
    realm = realm == null ? "sluice" : realm;
  }

  /**
   * One issuer: the {@code iss} its tokens carry and the keys they are signed with (any mix of
   * {@code secret}, {@code publicKeys} and {@code jwks}; at least one).
   *
   * @param issuer the exact {@code iss} claim; required, unique
   * @param audiences when not empty, a token's {@code aud} must contain one of these
   * @param secret the shared secret of HS256/384/512 tokens, as UTF-8; at least 32 bytes (HS384
   *     needs 48, HS512 64)
   * @param publicKeys RSA or EC public keys in PEM ({@code -----BEGIN PUBLIC KEY-----} or a
   *     {@code CERTIFICATE}); they verify tokens whatever their {@code kid}
   * @param jwks a JWK Set fetched from a URL (an identity provider's {@code jwks_uri})
   * @param algorithms the {@code alg} values accepted; default: every algorithm of the keys given
   *     (HS* for a secret, RS* and PS* for RSA keys, the ES* of each EC key's curve; RS*, PS* and
   *     ES* with a JWK Set). {@code none} is never accepted.
   * @param consumer the Consumer every token of this issuer authenticates as (one issuer per
   *     calling service)
   */
  public record Issuer(
      @Nullable String issuer, List<String> audiences, @Credential @Nullable String secret, List<String> publicKeys,
      @Nullable Jwks jwks, List<String> algorithms, @Nullable String consumer) {
    public Issuer {
      audiences = audiences == null ? List.of() : List.copyOf(audiences);
      publicKeys = publicKeys == null ? List.of() : List.copyOf(publicKeys);
      algorithms = algorithms == null ? List.of() : List.copyOf(algorithms);
    }
  }

  /**
   * A JWK Set fetched over HTTP(S), off the event loops. The first fetch starts when the
   * configuration is applied (requests that come before it ends wait for it); the set is then
   * fetched again in the background when it is older than {@code refresh}, and at once for a token
   * whose {@code kid} is not in it, at most once per {@code minRefetch}. A failed fetch keeps the
   * keys fetched before.
   *
   * @param url the JWK Set's {@code http} or {@code https} URL; required
   * @param refresh how old the keys may get before they are fetched again (default 5m)
   * @param minRefetch the least time between two fetches made for unknown keys or after a failed
   *     fetch (default 30s), so that tokens with made-up {@code kid}s cannot hammer the identity
   *     provider
   * @param timeout the most a fetch may take (default 5s)
   */
  public record Jwks(@Nullable String url, Duration refresh, Duration minRefetch, Duration timeout) {
    public Jwks {
      refresh = refresh == null ? Duration.ofMinutes(5) : refresh;
      minRefetch = minRefetch == null ? Duration.ofSeconds(30) : minRefetch;
      timeout = timeout == null ? Duration.ofSeconds(5) : timeout;
    }
  }
}
