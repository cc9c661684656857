package io.sluice.filters.keyauth;

import io.sluice.api.ConfigObject;
import io.sluice.api.consumer.ConsumerSpec;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.api.filter.FilterConfigValidator.Reference;
import io.sluice.filters.common.ConsumerRefs;
import io.sluice.filters.common.Values;
import io.sluice.filter.Attributes;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.LocalResponse;
import io.sluice.filter.QueryParameters;
import io.sluice.filter.Request;
import io.sluice.filter.HeaderRules;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code key-auth}: authenticates a request by the API key of a Consumer ({@code spec.keyAuth.key}),
 * sent in a header or a query parameter. The Consumer is recorded in the exchange attribute
 * {@link Attributes#CONSUMER} (for {@code rate-limit} by consumer and the access log) and, with
 * {@code consumerHeader}, sent upstream by name. The key itself is removed from the request unless
 * {@code hideCredentials: false}.
 *
 * <pre>{@code
 * - kind: key-auth
 *   config:
 *     header: apikey              # default
 *     query: apikey               # also accept ?apikey=...
 *     consumerHeader: X-Consumer
 *     consumers: [mobile-app]     # optional: only these consumers
 * }</pre>
 *
 * <p>A missing or unknown key gets 401 {@code unauthorized} with {@code WWW-Authenticate: Key
 * realm="sluice"} (result {@code unauthorized}, which a flow can send to another filter, say
 * {@code basic-auth}); a known consumer not in {@code consumers} gets 403 {@code consumer_forbidden}
 * (result {@code forbidden}). Keys are looked up in a table built when the configuration is applied.
 *
 * <p>A request that an earlier filter already authenticated (the exchange has a Consumer) passes
 * untouched, subject to {@code consumers}: so {@code key-auth} with {@code onResult: {unauthorized:
 * basic}} followed by {@code basic-auth} named {@code basic} accepts either.
 */
public final class KeyAuthFilterFactory implements FilterFactory<KeyAuthConfig> {
  @Override
  public String kind() {
    return "key-auth";
  }

  @Override
  public Class<KeyAuthConfig> configType() {
    return KeyAuthConfig.class;
  }

  @Override
  public void validate(KeyAuthConfig c, Problems problems) {
    Values.headerName(problems, "header", c.header());
    if (c.header().equalsIgnoreCase("host")) problems.add("header", "Host cannot carry a key");
    if (c.query() != null && c.query().isEmpty()) problems.add("query", "empty; expected a query parameter name");
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
  public List<Reference> references(KeyAuthConfig c) {
    return ConsumerRefs.of(c.consumers());
  }

  @Override
  public Filter create(KeyAuthConfig c, FilterEnvironment env) {
    Map<String, ConfigObject<ConsumerSpec>> byKey = new HashMap<>();
    for (ConfigObject<ConsumerSpec> consumer : env.config().consumers()) {
      if (consumer.spec().keyAuth() != null && consumer.spec().keyAuth().key() != null) {
        byKey.put(consumer.spec().keyAuth().key(), consumer);
      }
    }
    Set<String> allowed = new HashSet<>(c.consumers());
    String header = c.header();
    String query = c.query();
    boolean hide = c.hideCredentials();
    String consumerHeader = c.consumerHeader();
    FilterResult missing = FilterResult.respond("unauthorized", withChallenge(
        LocalResponse.error(401, "unauthorized", "missing API key"), c.realm()));
    FilterResult invalid = FilterResult.respond("unauthorized", withChallenge(
        LocalResponse.error(401, "unauthorized", "invalid API key"), c.realm()));
    FilterResult forbidden = FilterResult.respond("forbidden",
        LocalResponse.error(403, "consumer_forbidden", "this consumer may not use this route"));
    return new Filter() {
      @Override
      public FilterResult onRequest(Exchange x) {
        ConfigObject<ConsumerSpec> already = x.attribute(Attributes.CONSUMER);
        if (already != null) {
          // Authenticated by an earlier filter (a flow that tries one method, then another).
          return allowed.isEmpty() || allowed.contains(already.name()) ? FilterResult.CONTINUE : forbidden;
        }
        Request r = x.request();
        String key = r.headers().get(header);
        boolean fromHeader = key != null;
        if (key == null && query != null) key = QueryParameters.get(r.query(), query);
        if (key == null || key.isEmpty()) return missing;
        ConfigObject<ConsumerSpec> consumer = byKey.get(key);
        if (consumer == null) return invalid;
        if (!allowed.isEmpty() && !allowed.contains(consumer.name())) return forbidden;
        x.setAttribute(Attributes.CONSUMER, consumer);
        if (hide) {
          if (fromHeader) r.headers().remove(header);
          if (query != null) {
            String q = r.query();
            String without = QueryParameters.remove(q, query);
            if (without != q) r.setQuery(without);
          }
        }
        if (consumerHeader != null) r.headers().set(consumerHeader, consumer.name());
        return FilterResult.CONTINUE;
      }
    };
  }

  private static LocalResponse withChallenge(LocalResponse r, String realm) {
    return r.toBuilder().header("WWW-Authenticate", "Key realm=\"" + realm + "\"").build();
  }
}
