package io.sluice.api.validate;

import io.sluice.api.ByteSize;
import io.sluice.api.codec.Durations;
import io.sluice.api.route.CanaryRule;
import io.sluice.api.route.Colour;
import io.sluice.api.route.KeyMatch;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.route.RouteTimeouts;
import io.sluice.api.route.WeightedUpstream;
import io.sluice.api.upstream.BreakerSettings;
import io.sluice.api.upstream.CircuitBreakers;
import io.sluice.api.upstream.HealthCheck;
import io.sluice.api.upstream.OutlierDetection;
import io.sluice.api.upstream.RetryPolicy;
import io.sluice.api.upstream.UpstreamSpec;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * The checks of resilience settings (health checks, outlier detection, circuit breakers, retries)
 * and of traffic splitting (weighted upstreams, canary rules, colouring, route timeouts), for
 * {@link Validator}. Every error names the field.
 */
final class TrafficChecks {
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
  /** Headers the proxy writes or strips itself: a colour in one of them would be lost or break framing. */
  private static final Set<String> MANAGED_HEADERS = Set.of("host", "content-length", "transfer-encoding",
      "connection", "keep-alive", "proxy-connection", "te", "upgrade", "expect", "proxy-authenticate",
      "proxy-authorization", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-request-id", "cookie");
  private static final int MAX_WEIGHT = 10_000;

  /** Receives one error: the field path and the message. */
  @FunctionalInterface
  interface Errors {
    void error(String field, String message);
  }

  private TrafficChecks() {}

  // ---- Upstream

  static void upstream(Errors r, UpstreamSpec u) {
    if (u.healthCheck() != null) {
      healthCheck(r, u.healthCheck());
      String protocol = u.protocolOrDefault();
      if (u.healthCheck().grpc() != null && !protocol.equals("h2") && !protocol.equals("h2c")) {
        r.error("spec.healthCheck.grpc", "the gRPC health check needs an HTTP/2 upstream (spec.protocol h2 or h2c), got "
            + protocol);
      }
    }
    if (u.outlierDetection() != null) outlierDetection(r, u.outlierDetection());
    if (u.circuitBreaker() != null) circuitBreakers(r, u.circuitBreaker());
    if (u.retries() != null) retries(r, "spec.retries", u.retries());
  }

  private static void healthCheck(Errors r, HealthCheck h) {
    String f = "spec.healthCheck";
    if (h.grpc() != null) {
      if (h.path() != null) r.error(f + ".path", "not with grpc: a gRPC health check calls grpc.health.v1.Health/Check");
      if (!h.expectedStatuses().isEmpty()) {
        r.error(f + ".expectedStatuses", "not with grpc: a gRPC health check passes only on SERVING");
      }
      String service = h.grpc().service();
      if (service != null && service.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        r.error(f + ".grpc.service", "expected a service name without control characters, got '" + service + "'");
      }
    } else if (h.path() == null || h.path().isEmpty()) {
      r.error(f + ".path", "missing; expected the path to GET, such as /healthz");
    } else if (!h.path().startsWith("/")) {
      r.error(f + ".path", "expected a path starting with '/', got '" + h.path() + "'");
    } else if (h.path().chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
      r.error(f + ".path", "invalid path '" + h.path() + "': expected no spaces or control characters (percent-encode them)");
    }
    positive(r, f + ".interval", h.interval());
    positive(r, f + ".timeout", h.timeout());
    if (h.timeout().compareTo(h.interval()) > 0) {
      r.error(f + ".timeout", "must be at most the interval (" + Durations.format(h.interval()) + "), got "
          + Durations.format(h.timeout()));
    }
    range(r, f + ".healthyThreshold", h.healthyThreshold(), 1, 100);
    range(r, f + ".unhealthyThreshold", h.unhealthyThreshold(), 1, 100);
    statuses(r, f + ".expectedStatuses", h.expectedStatuses());
    if (h.host() != null) {
      String problem = Hosts.problemWithHostAndOptionalPort(h.host());
      if (problem != null) r.error(f + ".host", problem);
    }
  }

  private static void outlierDetection(Errors r, OutlierDetection o) {
    String f = "spec.outlierDetection";
    range(r, f + ".consecutive5xx", o.consecutive5xx(), 0, 1000);
    range(r, f + ".consecutiveGatewayFailure", o.consecutiveGatewayFailure(), 0, 1000);
    if (o.consecutive5xx() == 0 && o.consecutiveGatewayFailure() == 0) {
      r.error(f, "both consecutive5xx and consecutiveGatewayFailure are 0, so nothing would ever be ejected; "
          + "expected at least one of them above 0");
    }
    positive(r, f + ".interval", o.interval());
    positive(r, f + ".baseEjectionTime", o.baseEjectionTime());
    positive(r, f + ".maxEjectionTime", o.maxEjectionTime());
    if (o.maxEjectionTime().compareTo(o.baseEjectionTime()) < 0) {
      r.error(f + ".maxEjectionTime", "must be at least baseEjectionTime (" + Durations.format(o.baseEjectionTime())
          + "), got " + Durations.format(o.maxEjectionTime()));
    }
    range(r, f + ".maxEjectionPercent", o.maxEjectionPercent(), 1, 100);
  }

  private static void circuitBreakers(Errors r, CircuitBreakers c) {
    if (c.upstream() == null && c.endpoint() == null) {
      r.error("spec.circuitBreaker", "expected upstream or endpoint settings (or both), got neither");
    }
    if (c.upstream() != null) breaker(r, "spec.circuitBreaker.upstream", c.upstream());
    if (c.endpoint() != null) breaker(r, "spec.circuitBreaker.endpoint", c.endpoint());
  }

  private static void breaker(Errors r, String f, BreakerSettings b) {
    range(r, f + ".failureRateThreshold", b.failureRateThreshold(), 1, 100);
    range(r, f + ".slowCallRateThreshold", b.slowCallRateThreshold(), 1, 100);
    positive(r, f + ".slowCallDuration", b.slowCallDuration());
    range(r, f + ".minimumCalls", b.minimumCalls(), 1, 100_000);
    // resilience4j refuses a time window of 1 second: its lock-free time window needs at least two buckets.
    range(r, f + ".slidingWindow.size", b.slidingWindow().size(),
        b.slidingWindow().type() == BreakerSettings.SlidingWindow.Type.TIME ? 2 : 1, 100_000);
    positive(r, f + ".waitInOpen", b.waitInOpen());
    range(r, f + ".halfOpenCalls", b.halfOpenCalls(), 1, 1000);
    statuses(r, f + ".failureStatuses", b.failureStatuses());
  }

  static void retries(Errors r, String f, RetryPolicy p) {
    range(r, f + ".attempts", p.attempts(), 1, 10);
    for (int i = 0; i < p.statuses().size(); i++) {
      int s = p.statuses().get(i);
      if (s < 500 || s > 599) {
        r.error(f + ".statuses[" + i + "]", "expected a 5xx status (500 to 599), got " + s);
      }
    }
    RetryPolicy.Backoff b = p.backoff();
    positive(r, f + ".backoff.base", b.base());
    positive(r, f + ".backoff.max", b.max());
    if (b.max().compareTo(b.base()) < 0) {
      r.error(f + ".backoff.max", "must be at least backoff.base (" + Durations.format(b.base()) + "), got "
          + Durations.format(b.max()));
    }
    if (b.max().compareTo(Duration.ofMinutes(1)) > 0) {
      r.error(f + ".backoff.max", "expected at most 1m, got " + Durations.format(b.max()));
    }
    if (b.jitter().isNaN() || b.jitter() < 0 || b.jitter() >= 1) {
      r.error(f + ".backoff.jitter", "expected 0 or more and less than 1, got " + b.jitter());
    }
    range(r, f + ".budget.percent", p.budget().percent(), 0, 100);
    range(r, f + ".budget.minConcurrency", p.budget().minConcurrency(), 0, 1_000_000);
    if (p.replayBufferLimit().bytes() > ByteSize.ofMiB(16).bytes()) {
      r.error(f + ".replayBufferLimit", "expected at most 16MiB (the body is held in memory), got " + p.replayBufferLimit());
    }
  }

  // ---- Route

  /** The destination of a route: exactly one of upstream, upstreams and directResponse, and what goes with them. */
  static void routeDestination(Errors r, RouteSpec s, Predicate<String> upstreamExists) {
    List<String> set = new java.util.ArrayList<>();
    if (s.upstream() != null) set.add("upstream");
    if (!s.upstreams().isEmpty()) set.add("upstreams");
    if (s.directResponse() != null) set.add("directResponse");
    if (set.isEmpty()) {
      r.error("spec.upstream", "missing; a route needs one of upstream, upstreams and directResponse");
    } else if (set.size() > 1) {
      r.error("spec.upstream", (set.size() == 2 ? "both " : "all of ") + String.join(" and ", set)
          + " are set; expected exactly one of upstream, upstreams and directResponse");
    }
    if (s.upstream() != null && !upstreamExists.test(s.upstream())) {
      r.error("spec.upstream", "Upstream '" + s.upstream() + "' does not exist");
    }
    weighted(r, s.upstreams(), upstreamExists);
    for (int i = 0; i < s.canary().size(); i++) {
      canary(r, "spec.canary[" + i + "]", s.canary().get(i), upstreamExists);
    }
    boolean proxied = s.directResponse() == null;
    if (!proxied) {
      if (!s.canary().isEmpty()) r.error("spec.canary", "only allowed on a route that proxies (upstream or upstreams), not with directResponse");
      if (s.timeouts() != null) r.error("spec.timeouts", "only allowed on a route that proxies (upstream or upstreams), not with directResponse");
      if (s.retries() != null) r.error("spec.retries", "only allowed on a route that proxies (upstream or upstreams), not with directResponse");
    }
    if (s.colour() != null) colour(r, s.colour());
    if (s.timeouts() != null) timeouts(r, s.timeouts());
    if (s.retries() != null) retries(r, "spec.retries", s.retries());
  }

  private static void weighted(Errors r, List<WeightedUpstream> list, Predicate<String> upstreamExists) {
    if (list.isEmpty()) return;
    Map<String, Integer> seen = new HashMap<>();
    long total = 0;
    for (int i = 0; i < list.size(); i++) {
      WeightedUpstream w = list.get(i);
      String f = "spec.upstreams[" + i + "]";
      if (w.name() == null || w.name().isEmpty()) {
        r.error(f + ".name", "missing; expected the name of an Upstream");
      } else {
        Integer first = seen.putIfAbsent(w.name(), i);
        if (first != null) {
          r.error(f + ".name", "Upstream '" + w.name() + "' is listed twice, already spec.upstreams[" + first + "]");
        } else if (!upstreamExists.test(w.name())) {
          r.error(f + ".name", "Upstream '" + w.name() + "' does not exist");
        }
      }
      if (w.weight() < 0 || w.weight() > MAX_WEIGHT) {
        r.error(f + ".weight", "expected 0 to " + MAX_WEIGHT + ", got " + w.weight());
      } else {
        total += w.weight();
      }
    }
    if (total == 0) r.error("spec.upstreams", "the weights add up to 0; expected at least one weight above 0");
  }

  private static void canary(Errors r, String f, CanaryRule c, Predicate<String> upstreamExists) {
    if (c.upstream() == null || c.upstream().isEmpty()) {
      r.error(f + ".upstream", "missing; expected the name of the Upstream that matching requests go to");
    } else if (!upstreamExists.test(c.upstream())) {
      r.error(f + ".upstream", "Upstream '" + c.upstream() + "' does not exist");
    }
    CanaryRule.When w = c.when();
    if (w == null || (w.header() == null && w.cookie() == null && w.query() == null)) {
      r.error(f + ".when", "missing; expected at least one of header, cookie and query, such as {header: {name: x-canary, exact: \"1\"}}");
      return;
    }
    if (w.header() != null) keyMatch(r, f + ".when.header", w.header(), true);
    if (w.cookie() != null) keyMatch(r, f + ".when.cookie", w.cookie(), false);
    if (w.query() != null) keyMatch(r, f + ".when.query", w.query(), false);
  }

  private static void keyMatch(Errors r, String f, KeyMatch k, boolean header) {
    if (k.name() == null || k.name().isEmpty()) {
      r.error(f + ".name", "missing; expected a name");
    } else if (header && !TOKEN.matcher(k.name()).matches()) {
      r.error(f + ".name", "invalid header name '" + k.name() + "': expected a token such as x-canary");
    }
    int set = (k.exact() != null ? 1 : 0) + (k.regex() != null ? 1 : 0) + (Boolean.TRUE.equals(k.present()) ? 1 : 0)
        + (Boolean.TRUE.equals(k.absent()) ? 1 : 0);
    if (set != 1) r.error(f, "expected exactly one of exact, regex, present: true, absent: true; got " + set);
    if (k.regex() != null) {
      try {
        Pattern.compile(k.regex());
      } catch (PatternSyntaxException e) {
        r.error(f + ".regex", "invalid regular expression '" + k.regex() + "': " + e.getDescription());
      }
    }
  }

  private static void colour(Errors r, Colour c) {
    if (c.header() == null || c.header().isEmpty()) {
      r.error("spec.colour.header", "missing; expected a header name such as x-sluice-colour");
    } else if (!TOKEN.matcher(c.header()).matches()) {
      r.error("spec.colour.header", "invalid header name '" + c.header() + "': expected a token such as x-sluice-colour");
    } else if (MANAGED_HEADERS.contains(c.header().toLowerCase(Locale.ROOT))) {
      r.error("spec.colour.header", "'" + c.header() + "' is managed by the proxy itself; expected a header of your own such as x-sluice-colour");
    }
    if (c.value() == null) {
      r.error("spec.colour.value", "missing; expected the colour, such as blue");
    } else if (c.value().isEmpty() || c.value().chars().anyMatch(ch -> (ch < 0x20 && ch != '\t') || ch >= 0x7f)
        || c.value().strip().length() != c.value().length()) {
      r.error("spec.colour.value", "invalid header value '" + c.value()
          + "': expected visible ASCII characters, without control characters or surrounding whitespace");
    }
  }

  private static void timeouts(Errors r, RouteTimeouts t) {
    if (t.request() == null && t.upstreamResponse() == null && t.websocketIdle() == null && t.websocketLifetime() == null) {
      r.error("spec.timeouts", "expected request, upstreamResponse, websocketIdle or websocketLifetime, got none");
    }
    if (t.request() != null) positive(r, "spec.timeouts.request", t.request());
    if (t.upstreamResponse() != null) positive(r, "spec.timeouts.upstreamResponse", t.upstreamResponse());
    if (t.websocketIdle() != null) positive(r, "spec.timeouts.websocketIdle", t.websocketIdle());
    if (t.websocketLifetime() != null) positive(r, "spec.timeouts.websocketLifetime", t.websocketLifetime());
  }

  // ---- shared

  private static void statuses(Errors r, String f, List<Integer> statuses) {
    for (int i = 0; i < statuses.size(); i++) {
      int s = statuses.get(i);
      if (s < 100 || s > 599) r.error(f + "[" + i + "]", "expected a status from 100 to 599, got " + s);
    }
  }

  private static void positive(Errors r, String field, @Nullable Duration d) {
    if (d != null && (d.isNegative() || d.isZero())) {
      r.error(field, "expected a duration greater than zero, got " + Durations.format(d));
    }
  }

  private static void range(Errors r, String field, int value, int min, int max) {
    if (value < min || value > max) r.error(field, "expected " + min + " to " + max + ", got " + value);
  }
}
