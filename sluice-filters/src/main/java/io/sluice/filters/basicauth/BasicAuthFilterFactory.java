package io.sluice.filters.basicauth;

import io.sluice.api.ConfigObject;
import io.sluice.api.consumer.ConsumerSpec;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.api.filter.FilterConfigValidator.Reference;
import io.sluice.filters.common.ConsumerRefs;
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
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

  private record Account(ConfigObject<ConsumerSpec> consumer, byte[] password) {}

  @Override
  public Filter create(BasicAuthConfig c, FilterEnvironment env) {
    Map<String, Account> byUser = new HashMap<>();
    for (ConfigObject<ConsumerSpec> consumer : env.config().consumers()) {
      ConsumerSpec.BasicAuth b = consumer.spec().basicAuth();
      if (b != null && b.username() != null && b.password() != null) {
        byUser.put(b.username(), new Account(consumer, b.password().getBytes(StandardCharsets.UTF_8)));
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
    return new Filter() {
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
        Account a = byUser.get(decoded.substring(0, colon));
        byte[] given = decoded.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
        boolean ok = MessageDigest.isEqual(a == null ? decoy : a.password(), given);
        if (a == null || !ok) return invalid;
        if (!allowed.isEmpty() && !allowed.contains(a.consumer().name())) return forbidden;
        x.setAttribute(Attributes.CONSUMER, a.consumer());
        if (hide) r.headers().remove("authorization");
        if (consumerHeader != null) r.headers().set(consumerHeader, a.consumer().name());
        return FilterResult.CONTINUE;
      }
    };
  }
}
