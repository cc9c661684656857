package io.sluice.filters.cors;

import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.api.codec.Durations;
import io.sluice.filters.common.Values;
import io.sluice.filter.Attribute;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.Headers;
import io.sluice.filter.LocalResponse;
import io.sluice.filter.HeaderRules;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code cors}: answers CORS preflight requests itself and adds the CORS headers to the responses
 * of allowed origins. Requests without an {@code Origin} header pass untouched.
 *
 * <pre>{@code
 * - kind: cors
 *   config:
 *     allowOrigins: [https://app.example.com, "https://*.example.com"]
 *     allowMethods: [GET, POST, PUT]
 *     allowHeaders: [Authorization, Content-Type]
 *     exposeHeaders: [X-Request-Id]
 *     allowCredentials: true
 *     maxAge: 10m
 * }</pre>
 *
 * <p>A preflight ({@code OPTIONS} with {@code Origin} and {@code Access-Control-Request-Method})
 * from an allowed origin for an allowed method gets 204 with the {@code Access-Control-Allow-*}
 * headers and never reaches the upstream; from anywhere else it gets 403 {@code cors_forbidden}
 * (result {@code forbidden}). An actual request from an allowed origin goes upstream and its
 * response gets {@code Access-Control-Allow-Origin} (the origin itself, or {@code *} when any
 * origin is allowed and credentials are not), {@code Vary: Origin}, and the credentials and
 * exposed headers; from another origin it goes upstream without them, and the browser keeps the
 * response from the page.
 */
public final class CorsFilterFactory implements FilterFactory<CorsConfig> {
  /** The allowed origin of the current request, for the response phase. */
  private static final Attribute<String> ORIGIN = Attribute.of("cors.origin");
  private static final Pattern ORIGIN_SHAPE = Pattern.compile("(https?)://([a-z0-9*]([-a-z0-9.*]*[a-z0-9*])?|\\[[0-9a-f:.]+])(:[0-9]{1,5})?");

  @Override
  public String kind() {
    return "cors";
  }

  @Override
  public Class<CorsConfig> configType() {
    return CorsConfig.class;
  }

  @Override
  public void validate(CorsConfig c, Problems problems) {
    if (c.allowOrigins().isEmpty()) problems.add("allowOrigins", "missing; expected origins such as https://app.example.com, or \"*\"");
    for (int i = 0; i < c.allowOrigins().size(); i++) {
      String o = c.allowOrigins().get(i);
      if (o.equals("*")) {
        if (c.allowCredentials()) {
          problems.add("allowOrigins[" + i + "]", "'*' cannot be used with allowCredentials: true (browsers refuse it); "
              + "list the origins");
        }
      } else if (!ORIGIN_SHAPE.matcher(o).matches()) {
        problems.add("allowOrigins[" + i + "]", "invalid origin '" + o + "': expected scheme://host[:port] in lower case, "
            + "such as https://app.example.com or https://*.example.com, without a path");
      }
    }
    for (int i = 0; i < c.allowMethods().size(); i++) {
      String m = c.allowMethods().get(i);
      if (!HeaderRules.isToken(m) || !m.equals(m.toUpperCase(Locale.ROOT))) {
        problems.add("allowMethods[" + i + "]", "invalid method '" + m + "': expected an upper-case token such as PUT");
      }
    }
    for (int i = 0; i < c.allowHeaders().size(); i++) {
      if (!c.allowHeaders().get(i).equals("*")) Values.headerName(problems, "allowHeaders[" + i + "]", c.allowHeaders().get(i));
    }
    for (int i = 0; i < c.exposeHeaders().size(); i++) Values.headerName(problems, "exposeHeaders[" + i + "]", c.exposeHeaders().get(i));
    if (c.maxAge() != null && c.maxAge().isNegative()) {
      problems.add("maxAge", "expected a duration of zero or more, got " + Durations.format(c.maxAge()));
    }
  }

  @Override
  public Filter create(CorsConfig c, FilterEnvironment env) {
    boolean anyOrigin = c.allowOrigins().contains("*");
    Set<String> exact = new HashSet<>();
    List<Pattern> patterns = new ArrayList<>();
    for (String o : c.allowOrigins()) {
      if (o.equals("*")) continue;
      if (o.indexOf('*') < 0) {
        exact.add(o);
      } else {
        // '*' stands for one or more host characters (so subdomains at any depth), never for '/' or ':'.
        patterns.add(Pattern.compile(Pattern.quote(o).replace("*", "\\E[a-z0-9.-]+\\Q")));
      }
    }
    boolean credentials = c.allowCredentials();
    boolean echoHeaders = c.allowHeaders().contains("*");
    String methods = String.join(", ", c.allowMethods());
    Set<String> methodSet = Set.copyOf(c.allowMethods());
    String allowHeaders = echoHeaders ? null : String.join(", ", c.allowHeaders());
    String expose = c.exposeHeaders().isEmpty() ? null : String.join(", ", c.exposeHeaders());
    String maxAge = Long.toString((c.maxAge() == null ? java.time.Duration.ofSeconds(5) : c.maxAge()).toSeconds());
    boolean star = anyOrigin && !credentials;
    FilterResult forbidden = FilterResult.respond("forbidden", LocalResponse.error(403, "cors_forbidden",
        "the CORS preflight is not allowed for this origin or method"));
    return new Filter() {
      boolean allowed(String origin) {
        if (anyOrigin || exact.contains(origin)) return true;
        String lower = origin.toLowerCase(Locale.ROOT);
        if (exact.contains(lower)) return true;
        for (Pattern p : patterns) {
          if (p.matcher(lower).matches()) return true;
        }
        return false;
      }

      @Override
      public FilterResult onRequest(Exchange x) {
        Headers h = x.request().headers();
        String origin = h.get("origin");
        if (origin == null) return FilterResult.CONTINUE;
        String requestMethod = h.get("access-control-request-method");
        if (x.request().method().equals("OPTIONS") && requestMethod != null) {
          if (!allowed(origin) || !methodSet.contains(requestMethod)) return forbidden;
          LocalResponse.Builder r = LocalResponse.builder(204)
              .header("Access-Control-Allow-Origin", star ? "*" : origin)
              .header("Access-Control-Allow-Methods", methods);
          String asked = h.get("access-control-request-headers");
          if (echoHeaders) {
            if (asked != null && isHeaderList(asked)) r.header("Access-Control-Allow-Headers", asked);
          } else if (allowHeaders != null && !allowHeaders.isEmpty()) {
            r.header("Access-Control-Allow-Headers", allowHeaders);
          }
          if (credentials) r.header("Access-Control-Allow-Credentials", "true");
          r.header("Access-Control-Max-Age", maxAge);
          if (!star) r.header("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
          return FilterResult.respond("preflight", r.build());
        }
        if (allowed(origin)) x.setAttribute(ORIGIN, origin);
        return FilterResult.CONTINUE;
      }

      @Override
      public FilterResult onResponse(Exchange x) {
        String origin = x.attribute(ORIGIN);
        if (origin == null) return FilterResult.CONTINUE;
        Headers h = x.response().headers();
        h.set("Access-Control-Allow-Origin", star ? "*" : origin);
        if (!star) h.add("Vary", "Origin");
        if (credentials) h.set("Access-Control-Allow-Credentials", "true");
        if (expose != null) h.set("Access-Control-Expose-Headers", expose);
        return FilterResult.CONTINUE;
      }
    };
  }

  /** A comma-separated list of header names, as a preflight asks (echoed only if it is one). */
  private static boolean isHeaderList(String s) {
    for (String part : s.split(",")) {
      if (!HeaderRules.isToken(part.strip())) return false;
    }
    return true;
  }
}
