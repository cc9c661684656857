package io.sluice.filters.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.consumer.ConsumerSpec;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.api.filter.FilterConfigValidator.Reference;
import io.sluice.filters.common.ConsumerRefs;
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
import io.sluice.filter.QueryParameters;
import io.sluice.filter.Request;
import io.sluice.filter.HeaderRules;
import java.net.URI;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * {@code jwt}: authenticates requests by a signed JSON Web Token (RFC 7519), sent as
 * {@code Authorization: Bearer <token>}.
 *
 * <pre>{@code
 * - kind: jwt
 *   config:
 *     issuers:
 *       - issuer: https://login.example.com/
 *         audiences: [orders-api]
 *         jwks: {url: https://login.example.com/.well-known/jwks.json, refresh: 10m}
 *       - issuer: billing
 *         secret: "at least 32 bytes of shared secret...."
 *         consumer: billing-service
 *     clockSkew: 30s
 *     claimsToHeaders: {sub: X-User-Id}
 *     consumerClaim: sub
 * }</pre>
 *
 * <p><b>Verification.</b> The token's {@code iss} picks the issuer; its {@code alg} must be one the
 * issuer accepts (never {@code none}, and an HMAC algorithm only ever with the shared secret, an
 * RSA or EC one only with public keys, so one kind of key cannot be passed off as the other); its
 * signature must verify with one of the issuer's keys (a JWK Set key with the token's {@code kid},
 * or any key of the right type when the token has no {@code kid}; PEM keys whatever the kid). Then
 * {@code exp} (required unless {@code requireExpiration: false}) and {@code nbf}, with
 * {@code clockSkew}, and {@code aud} against the issuer's {@code audiences}. Signatures are checked
 * by nimbus-jose-jwt.
 *
 * <p><b>Consumers.</b> A Consumer has no JWT credentials of its own: an issuer's {@code consumer}
 * names the Consumer all its tokens are, or {@code consumerClaim} names a claim whose value is a
 * Consumer's name. The Consumer is recorded like {@code key-auth} records it; {@code consumers}
 * restricts who passes (403 {@code consumer_forbidden}). A request an earlier filter already
 * authenticated passes without a token, subject to {@code consumers} (its {@code claimsToHeaders}
 * headers removed, {@code consumerHeader} set). The verified claims are in the exchange attribute
 * {@link #CLAIMS}.
 *
 * <p><b>Failures.</b> A missing token gets 401 with {@code WWW-Authenticate: Bearer realm="sluice"};
 * a bad one 401 {@code invalid_token} with {@code WWW-Authenticate: Bearer realm="sluice",
 * error="invalid_token", error_description="token expired"} (RFC 6750 §3); both are result
 * {@code unauthorized}. When an issuer's JWK Set could never be fetched, 503 {@code jwks_unavailable}
 * (result {@code unavailable}).
 *
 * <p><b>Threading.</b> Verification runs on the event loop (a signature check costs tens of
 * microseconds). Only a request that needs a JWK Set fetch (none fetched yet, or an unknown
 * {@code kid}) waits, asynchronously, for the fetch, which runs off the loops (see
 * {@link JwtConfig.Jwks}).
 */
public final class JwtFilterFactory implements FilterFactory<JwtConfig> {
  /** The claims of the token the request was authenticated with (an unmodifiable map), for later filters. */
  public static final Attribute<Map<String, Object>> CLAIMS = Attribute.of("jwt.claims");

  /** Why a token was refused; each has a response built once per filter. */
  private enum Failure {
    MALFORMED("malformed token"),
    ISSUER("unknown issuer"),
    ALGORITHM("algorithm not allowed"),
    KEY("unknown signing key"),
    SIGNATURE("invalid signature"),
    NO_EXPIRATION("token has no expiration time"),
    EXPIRED("token expired"),
    NOT_YET_VALID("token not yet valid"),
    AUDIENCE("token not issued for this audience"),
    CONSUMER("token does not name a known consumer");

    final String description;

    Failure(String description) {
      this.description = description;
    }
  }

  @Override
  public String kind() {
    return "jwt";
  }

  @Override
  public Class<JwtConfig> configType() {
    return JwtConfig.class;
  }

  @Override
  public void validate(JwtConfig c, Problems problems) {
    if (c.issuers().isEmpty()) {
      problems.add("issuers", "missing; expected at least one issuer with its keys, such as "
          + "{issuer: https://login.example.com/, jwks: {url: https://login.example.com/jwks.json}}");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < c.issuers().size(); i++) {
      JwtConfig.Issuer is = c.issuers().get(i);
      String at = "issuers[" + i + "]";
      if (is.issuer() == null || is.issuer().isEmpty()) {
        problems.add(at + ".issuer", "missing; expected the exact iss claim of the issuer's tokens");
      } else if (!seen.add(is.issuer())) {
        problems.add(at + ".issuer", "'" + is.issuer() + "' is listed twice; issuers must be unique");
      }
      validateKeys(is, at, problems);
      for (int a = 0; a < is.audiences().size(); a++) {
        if (is.audiences().get(a) == null || is.audiences().get(a).isEmpty()) problems.add(at + ".audiences[" + a + "]", "empty; expected an audience");
      }
    }
    if (c.header().equalsIgnoreCase("host")) problems.add("header", "Host cannot carry a token");
    else Values.headerName(problems, "header", c.header());
    if (c.query() != null && c.query().isEmpty()) problems.add("query", "empty; expected a query parameter name");
    if (c.clockSkew().isNegative()) problems.add("clockSkew", "expected zero or more, got " + c.clockSkew());
    for (Map.Entry<String, String> e : c.claimsToHeaders().entrySet()) {
      if (e.getKey().isEmpty()) problems.add("claimsToHeaders", "an empty claim name");
      requestHeader(problems, "claimsToHeaders." + e.getKey(), e.getValue());
    }
    if (c.consumerClaim() != null && c.consumerClaim().isEmpty()) problems.add("consumerClaim", "empty; expected a claim name such as sub");
    if (c.consumerHeader() != null) requestHeader(problems, "consumerHeader", c.consumerHeader());
    if (!c.consumers().isEmpty() && c.consumerClaim() == null && c.issuers().stream().anyMatch(i -> i.consumer() == null)) {
      problems.add("consumers", "set, but tokens are not mapped to Consumers; expected consumerClaim, or a consumer on every issuer");
    }
    if (!c.realm().matches("[\\x20-\\x7e&&[^\"\\\\]]+")) problems.add("realm", "expected printable characters without quotes or backslashes");
  }

  private static void validateKeys(JwtConfig.Issuer is, String at, Problems problems) {
    if (is.secret() == null && is.publicKeys().isEmpty() && is.jwks() == null) {
      problems.add(at, "no keys; expected secret, publicKeys or jwks");
    }
    Set<JWSAlgorithm> possible = new HashSet<>();
    if (is.secret() != null) {
      try {
        possible.addAll(Keys.secret(is.secret()).algorithms());
      } catch (IllegalArgumentException e) {
        problems.add(at + ".secret", String.valueOf(e.getMessage()));
      }
    }
    for (int k = 0; k < is.publicKeys().size(); k++) {
      try {
        possible.addAll(Keys.pem(is.publicKeys().get(k)).algorithms());
      } catch (IllegalArgumentException e) {
        problems.add(at + ".publicKeys[" + k + "]", String.valueOf(e.getMessage()));
      }
    }
    JwtConfig.Jwks j = is.jwks();
    if (j != null) {
      possible.addAll(Keys.RSA);
      possible.addAll(Keys.EC);
      if (j.url() == null) {
        problems.add(at + ".jwks.url", "missing; expected the http(s) URL of a JWK Set");
      } else {
        try {
          URI u = URI.create(j.url());
          String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
          if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
            problems.add(at + ".jwks.url", "expected an absolute http or https URL, got '" + j.url() + "'");
          }
        } catch (IllegalArgumentException e) {
          problems.add(at + ".jwks.url", "invalid URL '" + j.url() + "': " + e.getMessage());
        }
      }
      if (!j.refresh().isPositive()) problems.add(at + ".jwks.refresh", "expected a duration above zero, got " + j.refresh());
      if (j.minRefetch().isNegative()) problems.add(at + ".jwks.minRefetch", "expected zero or more, got " + j.minRefetch());
      if (!j.timeout().isPositive()) problems.add(at + ".jwks.timeout", "expected a duration above zero, got " + j.timeout());
    }
    for (int a = 0; a < is.algorithms().size(); a++) {
      String name = is.algorithms().get(a);
      JWSAlgorithm alg = name == null ? null : Keys.algorithm(name);
      String field = at + ".algorithms[" + a + "]";
      if (alg == null) {
        problems.add(field, "unknown algorithm '" + name + "'; expected one of HS256, HS384, HS512, RS256, RS384, RS512, "
            + "PS256, PS384, PS512, ES256, ES384, ES512");
      } else if (!possible.contains(alg)) {
        problems.add(field, name + " cannot be verified with this issuer's keys; " + needs(alg));
      }
    }
  }

  private static String needs(JWSAlgorithm alg) {
    if (Keys.HMAC.contains(alg)) {
      int bytes = alg.equals(JWSAlgorithm.HS256) ? 32 : alg.equals(JWSAlgorithm.HS384) ? 48 : 64;
      return "it needs a secret of at least " + bytes + " bytes";
    }
    return Keys.RSA.contains(alg) ? "it needs an RSA public key or jwks" : "it needs an EC public key on its curve or jwks";
  }

  private static void requestHeader(Problems problems, String field, @Nullable String name) {
    try {
      HeaderRules.checkName(name, false);
    } catch (IllegalArgumentException e) {
      problems.add(field, String.valueOf(e.getMessage()));
    }
  }

  @Override
  public List<Reference> references(JwtConfig c) {
    List<Reference> refs = new ArrayList<>(ConsumerRefs.of(c.consumers()));
    for (int i = 0; i < c.issuers().size(); i++) {
      String consumer = c.issuers().get(i).consumer();
      if (consumer != null) refs.add(new Reference("issuers[" + i + "].consumer", new ObjectRef(Kind.CONSUMER, consumer)));
    }
    return refs;
  }

  /** An issuer as requests use it. */
  private record IssuerKeys(
      String issuer, Set<JWSAlgorithm> algorithms, List<Keys.Key> staticKeys, @Nullable JwksSource jwks,
      Set<String> audiences, @Nullable ConfigObject<ConsumerSpec> consumer, FilterResult unavailable) {}

  @Override
  public Filter create(JwtConfig c, FilterEnvironment env) {
    Map<String, ConfigObject<ConsumerSpec>> consumersByName = new HashMap<>();
    for (ConfigObject<ConsumerSpec> consumer : env.config().consumers()) consumersByName.put(consumer.name(), consumer);
    Map<String, IssuerKeys> issuers = new HashMap<>();
    for (JwtConfig.Issuer is : c.issuers()) issuers.put(is.issuer(), issuerKeys(is, env, consumersByName));
    String realm = c.realm();
    EnumMap<Failure, FilterResult> failures = new EnumMap<>(Failure.class);
    for (Failure f : Failure.values()) {
      failures.put(f, FilterResult.respond("unauthorized", LocalResponse.error(401, "invalid_token", f.description).toBuilder()
          .header("WWW-Authenticate", "Bearer realm=\"" + realm + "\", error=\"invalid_token\", error_description=\""
              + f.description + "\"")
          .build()));
    }
    FilterResult missing = FilterResult.respond("unauthorized", LocalResponse.error(401, "unauthorized", "missing bearer token")
        .toBuilder().header("WWW-Authenticate", "Bearer realm=\"" + realm + "\"").build());
    FilterResult forbidden = FilterResult.respond("forbidden",
        LocalResponse.error(403, "consumer_forbidden", "this consumer may not use this route"));
    return new JwtFilter(c, issuers, consumersByName, failures, missing, forbidden);
  }

  private static IssuerKeys issuerKeys(JwtConfig.Issuer is, FilterEnvironment env, Map<String, ConfigObject<ConsumerSpec>> consumers) {
    List<Keys.Key> keys = new ArrayList<>();
    if (is.secret() != null) keys.add(Keys.secret(is.secret()));
    for (String pem : is.publicKeys()) keys.add(Keys.pem(pem));
    JwksSource source = null;
    Set<JWSAlgorithm> possible = new LinkedHashSet<>();
    for (Keys.Key k : keys) possible.addAll(k.algorithms());
    JwtConfig.Jwks j = is.jwks();
    if (j != null) {
      source = env.shared("jwks|" + is.issuer() + "|" + j.url() + "|" + j.refresh() + "|" + j.minRefetch() + "|" + j.timeout(),
          () -> new JwksSource(URI.create(j.url()), j.timeout(), j.refresh(), j.minRefetch()));
      source.refreshIfStale(System.nanoTime());
      possible.addAll(Keys.RSA);
      possible.addAll(Keys.EC);
    }
    Set<JWSAlgorithm> algorithms = is.algorithms().isEmpty()
        ? Set.copyOf(possible)
        : is.algorithms().stream().map(Keys::algorithm).collect(Collectors.toUnmodifiableSet());
    FilterResult unavailable = FilterResult.respond("unavailable", LocalResponse.error(503, "jwks_unavailable",
        "the signing keys of issuer " + is.issuer() + " could not be fetched"));
    return new IssuerKeys(Objects.requireNonNull(is.issuer(), "issuers[].issuer (validated)"), algorithms, List.copyOf(keys), source, Set.copyOf(is.audiences()),
        is.consumer() == null ? null : consumers.get(is.consumer()), unavailable);
  }

  private static final class JwtFilter implements Filter {
    private final Map<String, IssuerKeys> issuers;
    private final Map<String, ConfigObject<ConsumerSpec>> consumersByName;
    private final EnumMap<Failure, FilterResult> failures;
    private final FilterResult missing;
    private final FilterResult forbidden;
    private final String header;
    private final boolean authorizationHeader;
    private final @Nullable String query;
    private final long skewMillis;
    private final boolean requireExpiration;
    private final String[] claimNames;
    private final String[] claimHeaders;
    private final @Nullable String consumerClaim;
    private final @Nullable String consumerHeader;
    private final Set<String> allowed;
    private final boolean hide;

    JwtFilter(JwtConfig c, Map<String, IssuerKeys> issuers, Map<String, ConfigObject<ConsumerSpec>> consumersByName,
        EnumMap<Failure, FilterResult> failures, FilterResult missing, FilterResult forbidden) {
      this.issuers = Map.copyOf(issuers);
      this.consumersByName = Map.copyOf(consumersByName);
      this.failures = failures;
      this.missing = missing;
      this.forbidden = forbidden;
      this.header = c.header();
      this.authorizationHeader = c.header().equalsIgnoreCase("authorization");
      this.query = c.query();
      this.skewMillis = c.clockSkew().toMillis();
      this.requireExpiration = c.requireExpiration();
      this.claimNames = c.claimsToHeaders().keySet().toArray(String[]::new);
      this.claimHeaders = c.claimsToHeaders().values().toArray(String[]::new);
      this.consumerClaim = c.consumerClaim();
      this.consumerHeader = c.consumerHeader();
      this.allowed = Set.copyOf(c.consumers());
      this.hide = c.hideCredentials();
    }

    @Override
    public FilterResult onRequest(Exchange x) {
      ConfigObject<ConsumerSpec> already = x.attribute(Attributes.CONSUMER);
      if (already != null) {
        // Authenticated by an earlier filter (a flow that tries one method, then another): there is
        // no token, so no claim may reach the upstream, least of all one the client wrote.
        if (!allowed.isEmpty() && !allowed.contains(already.name())) return forbidden;
        Headers h = x.request().headers();
        for (String claimHeader : claimHeaders) h.remove(claimHeader);
        if (consumerHeader != null) h.set(consumerHeader, already.name());
        return FilterResult.CONTINUE;
      }
      return authenticate(x, true);
    }

    /** The 401 of {@code f}: the map has one for every failure. */
    private FilterResult failure(Failure f) {
      return Objects.requireNonNull(failures.get(f));
    }

    /** @param mayFetch false on the second pass, after a JWK Set fetch: no more waiting */
    private FilterResult authenticate(Exchange x, boolean mayFetch) {
      Request r = x.request();
      String token = bearer(r.headers().get(header));
      boolean fromHeader = token != null;
      if (token == null && query != null) token = QueryParameters.get(r.query(), query);
      if (token == null || token.isEmpty()) return missing;

      SignedJWT jwt;
      JWTClaimsSet claims;
      try {
        jwt = SignedJWT.parse(token);
        claims = jwt.getJWTClaimsSet();
      } catch (ParseException | RuntimeException e) {
        return failure(Failure.MALFORMED);
      }
      IssuerKeys is = claims.getIssuer() == null ? null : issuers.get(claims.getIssuer());
      if (is == null) return failure(Failure.ISSUER);
      JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
      if (!is.algorithms().contains(alg)) return failure(Failure.ALGORITHM);

      boolean candidate = false;
      boolean verified = false;
      for (Keys.Key k : is.staticKeys()) {
        if (k.algorithms().contains(alg)) {
          candidate = true;
          if (verify(jwt, k)) {
            verified = true;
            break;
          }
        }
      }
      JwksSource source = is.jwks();
      if (!verified && source != null) {
        long now = System.nanoTime();
        source.refreshIfStale(now);
        JwksSource.KeySet set = source.keys();
        String kid = jwt.getHeader().getKeyID();
        if (set == null) {
          if (mayFetch) {
            CompletableFuture<Void> f = source.inFlight();
            if (f == null && source.claimExtraFetch(now)) f = source.fetch();
            if (f != null) return afterFetch(x, f);
          }
          if (!candidate) return is.unavailable();
        } else {
          List<Keys.Key> keys = kid == null ? set.all() : set.byKid().getOrDefault(kid, List.of());
          boolean fromSet = false;
          for (Keys.Key k : keys) {
            if (k.algorithms().contains(alg)) {
              fromSet = true;
              if (verify(jwt, k)) {
                verified = true;
                break;
              }
            }
          }
          if (!fromSet && kid != null && mayFetch && source.claimExtraFetch(now)) {
            // A kid the set does not have: the issuer may have rotated its keys since the last fetch.
            return afterFetch(x, source.fetch());
          }
          candidate |= fromSet;
        }
      }
      if (!verified) return failure(candidate ? Failure.SIGNATURE : Failure.KEY);

      long now = System.currentTimeMillis();
      Date exp = claims.getExpirationTime();
      if (exp == null) {
        if (requireExpiration) return failure(Failure.NO_EXPIRATION);
      } else if (now >= exp.getTime() + skewMillis) {
        return failure(Failure.EXPIRED);
      }
      Date nbf = claims.getNotBeforeTime();
      if (nbf != null && now + skewMillis < nbf.getTime()) return failure(Failure.NOT_YET_VALID);
      if (!is.audiences().isEmpty() && !intersects(claims.getAudience(), is.audiences())) return failure(Failure.AUDIENCE);

      ConfigObject<ConsumerSpec> consumer = is.consumer();
      if (consumer == null && consumerClaim != null) {
        Object name = claims.getClaim(consumerClaim);
        consumer = name instanceof String s ? consumersByName.get(s) : null;
        if (consumer == null) return failure(Failure.CONSUMER);
      }
      if (!allowed.isEmpty() && (consumer == null || !allowed.contains(consumer.name()))) return forbidden;

      if (consumer != null) x.setAttribute(Attributes.CONSUMER, consumer);
      x.setAttribute(CLAIMS, claims.getClaims());
      Headers h = r.headers();
      if (consumerHeader != null) {
        if (consumer != null) h.set(consumerHeader, consumer.name());
        else h.remove(consumerHeader);
      }
      for (int i = 0; i < claimNames.length; i++) {
        // The client's own value never reaches the upstream: only the token's.
        h.remove(claimHeaders[i]);
        String v = headerValue(claims.getClaim(claimNames[i]));
        if (v != null) {
          try {
            h.set(claimHeaders[i], v);
          } catch (IllegalArgumentException e) {
            // a claim with control or non-Latin-1 characters is not sent rather than mangled
          }
        }
      }
      if (hide) {
        if (fromHeader) {
          h.remove(header);
        } else {
          String q = r.query();
          // the token came from the query parameter, so there is one
          String without = QueryParameters.remove(q, Objects.requireNonNull(query));
          if (without != q) r.setQuery(without);
        }
      }
      return FilterResult.CONTINUE;
    }

    private FilterResult afterFetch(Exchange x, CompletableFuture<Void> fetch) {
      return FilterResult.async(fetch.thenApplyAsync(v -> authenticate(x, false), x.executor()));
    }

    private @Nullable String bearer(@Nullable String value) {
      if (value == null) return null;
      String v = value.strip();
      if (v.regionMatches(true, 0, "Bearer ", 0, 7)) return v.substring(7).strip();
      return authorizationHeader ? null : v;
    }

    private static boolean verify(SignedJWT jwt, Keys.Key key) {
      try {
        return jwt.verify(key.verifier());
      } catch (JOSEException | IllegalStateException e) {
        return false;
      }
    }

    private static boolean intersects(@Nullable List<String> audience, Set<String> accepted) {
      if (audience == null) return false;
      for (String a : audience) {
        if (accepted.contains(a)) return true;
      }
      return false;
    }

    private static @Nullable String headerValue(@Nullable Object claim) {
      if (claim == null) return null;
      if (claim instanceof String s) return s;
      if (claim instanceof Date d) return Long.toString(d.getTime() / 1000);
      if (claim instanceof Number || claim instanceof Boolean) return claim.toString();
      if (claim instanceof Collection<?> list) {
        StringBuilder b = new StringBuilder();
        for (Object o : list) {
          if (!b.isEmpty()) b.append(',');
          b.append(o instanceof String s ? s : o instanceof Map<?, ?> || o instanceof Collection<?> ? json(o) : String.valueOf(o));
        }
        return b.toString();
      }
      return json(claim);
    }

    @SuppressWarnings("unchecked")
    private static String json(Object o) {
      if (o instanceof Map<?, ?> m) return JSONObjectUtils.toJSONString((Map<String, ?>) m);
      return com.nimbusds.jose.util.JSONArrayUtils.toJSONString((List<Object>) new ArrayList<>((Collection<Object>) o));
    }
  }
}
