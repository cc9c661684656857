package io.sluice.api.validate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.upstream.UpstreamSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Validation of resilience settings (health checks, outlier detection, circuit breakers, retries)
 * and traffic splitting (weighted upstreams, canary rules, colour, route timeouts): each error names
 * the field and says what was expected.
 */
class TrafficValidationTest {
  private static final String BASE = """
      apiVersion: sluice.io/v1
      kind: Upstream
      metadata: {name: v1}
      spec: {endpoints: [{address: 10.0.0.1:8080}]}
      ---
      apiVersion: sluice.io/v1
      kind: Upstream
      metadata: {name: v2}
      spec: {endpoints: [{address: 10.0.0.2:8080}]}
      ---
      """;

  private static List<ConfigObject<?>> read(String yaml) {
    try {
      return ObjectCodec.readYaml("test.yaml", yaml);
    } catch (ConfigException e) {
      throw new AssertionError("the test's YAML does not decode: " + e.getMessage(), e);
    }
  }

  private static List<ConfigError> route(String spec) {
    return Validator.validate(read(BASE + "apiVersion: sluice.io/v1\nkind: Route\nmetadata: {name: r}\nspec:\n" + spec));
  }

  private static List<ConfigError> upstream(String spec) {
    return Validator.validate(read("apiVersion: sluice.io/v1\nkind: Upstream\nmetadata: {name: u}\nspec:\n"
        + "  endpoints: [{address: 10.0.0.1:8080}]\n" + spec));
  }

  @Test
  void validResilienceAndSplitConfigurationHasNoErrors() {
    assertThat(upstream("""
          healthCheck: {path: /healthz, interval: 5s, timeout: 1s, healthyThreshold: 2, unhealthyThreshold: 3, expectedStatuses: [200, 204]}
          outlierDetection: {consecutive5xx: 5, consecutiveGatewayFailure: 3, baseEjectionTime: 30s, maxEjectionTime: 5m, maxEjectionPercent: 50}
          circuitBreaker:
            upstream: {failureRateThreshold: 50, slowCallRateThreshold: 80, slowCallDuration: 2s, minimumCalls: 10,
                       slidingWindow: {type: time, size: 30}, waitInOpen: 10s, halfOpenCalls: 3, failureStatuses: [500, 503]}
            endpoint: {}
          retries: {attempts: 3, retryOn: [connect-failure, reset, timeout], statuses: [502, 503],
                    backoff: {base: 10ms, max: 1s, jitter: 0.2}, budget: {percent: 25, minConcurrency: 5},
                    retryNonIdempotent: true, replayBufferLimit: 1MiB}
        """)).isEmpty();
    assertThat(route("""
          upstreams: [{name: v1, weight: 90}, {name: v2, weight: 10}]
          canary:
            - {when: {header: {name: x-canary, exact: "1"}}, upstream: v2}
            - {when: {cookie: {name: beta, present: true}, query: {name: v, regex: "2.*"}}, upstream: v2}
          colour: {header: x-sluice-colour, value: blue}
          timeouts: {request: 10s, upstreamResponse: 2s}
          retries: {attempts: 2}
        """)).isEmpty();
  }

  @Test
  void refusesWeightedUpstreamsTogetherWithUpstream() {
    assertThat(route("  upstream: v1\n  upstreams: [{name: v2, weight: 1}]\n"))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(tuple("spec.upstream",
            "both upstream and upstreams are set; expected exactly one of upstream, upstreams and directResponse"));
  }

  @Test
  void refusesWeightedUpstreamsNamingTheBadEntry() {
    assertThat(route("  upstreams: [{name: v1, weight: 0}, {name: nope, weight: 3}, {name: v1, weight: 10001}]\n"))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(
            tuple("spec.upstreams[1].name", "Upstream 'nope' does not exist"),
            tuple("spec.upstreams[2].name", "Upstream 'v1' is listed twice, already spec.upstreams[0]"),
            tuple("spec.upstreams[2].weight", "expected 0 to 10000, got 10001"));
  }

  @Test
  void refusesWeightsThatAddUpToZero() {
    assertThat(route("  upstreams: [{name: v1, weight: 0}, {name: v2, weight: 0}]\n"))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(tuple("spec.upstreams", "the weights add up to 0; expected at least one weight above 0"));
  }

  @Test
  void refusesCanaryRulesNamingTheField() {
    assertThat(route("""
          upstream: v1
          canary:
            - {when: {}, upstream: v2}
            - {when: {header: {name: "bad name", exact: "1"}}, upstream: v3}
            - {when: {cookie: {name: beta}}, upstream: v2}
            - {when: {query: {name: v, regex: "(["}}, upstream: v2}
        """))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(
            tuple("spec.canary[0].when", "missing; expected at least one of header, cookie and query, such as "
                + "{header: {name: x-canary, exact: \"1\"}}"),
            tuple("spec.canary[1].upstream", "Upstream 'v3' does not exist"),
            tuple("spec.canary[1].when.header.name", "invalid header name 'bad name': expected a token such as x-canary"),
            tuple("spec.canary[2].when.cookie", "expected exactly one of exact, regex, present: true, absent: true; got 0"),
            tuple("spec.canary[3].when.query.regex", "invalid regular expression '([': Unclosed character class"));
  }

  @Test
  void refusesCanaryRulesAndRetriesOnADirectResponse() {
    assertThat(route("""
          directResponse: {status: 204}
          canary: [{when: {header: {name: x, present: true}}, upstream: v2}]
          retries: {attempts: 2}
        """))
        .extracting(ConfigError::field)
        .containsExactly("spec.canary", "spec.retries");
  }

  @Test
  void refusesAColourInAHeaderTheProxyManagesOrWithABadValue() {
    assertThat(route("  upstream: v1\n  colour: {header: Host, value: \"blue\\nx\"}\n"))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(
            tuple("spec.colour.header", "'Host' is managed by the proxy itself; expected a header of your own such as x-sluice-colour"),
            tuple("spec.colour.value", "invalid header value 'blue\nx': expected visible ASCII characters, without control "
                + "characters or surrounding whitespace"));
    assertThat(route("  upstream: v1\n  colour: {header: x-colour}\n"))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(tuple("spec.colour.value", "missing; expected the colour, such as blue"));
  }

  @Test
  void refusesRouteTimeoutsThatAreZeroOrEmpty() {
    assertThat(route("  upstream: v1\n  timeouts: {request: 0s}\n"))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(tuple("spec.timeouts.request", "expected a duration greater than zero, got 0s"));
    assertThat(route("  upstream: v1\n  timeouts: {}\n"))
        .extracting(ConfigError::field)
        .containsExactly("spec.timeouts");
  }

  @Test
  void refusesWebSocketTimeoutsThatAreZeroAndAcceptsThemAlone() {
    assertThat(route("  upstream: v1\n  timeouts: {websocketIdle: 0s, websocketLifetime: 0ms}\n"))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(tuple("spec.timeouts.websocketIdle", "expected a duration greater than zero, got 0s"),
            tuple("spec.timeouts.websocketLifetime", "expected a duration greater than zero, got 0s"));
    assertThat(route("  upstream: v1\n  timeouts: {websocketIdle: 10m, websocketLifetime: 24h}\n  websocket: true\n")).isEmpty();
    assertThat(route("  upstream: v1\n  timeouts: {}\n"))
        .extracting(ConfigError::message)
        .containsExactly("expected request, upstreamResponse, websocketIdle or websocketLifetime, got none");
  }

  @Test
  void refusesRetryPoliciesNamingEachBadField() {
    assertThat(upstream("""
          retries: {attempts: 11, statuses: [404], backoff: {base: 100ms, max: 10ms, jitter: 1.5},
                    budget: {percent: 101, minConcurrency: -1}, replayBufferLimit: 17MiB}
        """))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(
            tuple("spec.retries.attempts", "expected 1 to 10, got 11"),
            tuple("spec.retries.statuses[0]", "expected a 5xx status (500 to 599), got 404"),
            tuple("spec.retries.backoff.max", "must be at least backoff.base (100ms), got 10ms"),
            tuple("spec.retries.backoff.jitter", "expected 0 or more and less than 1, got 1.5"),
            tuple("spec.retries.budget.percent", "expected 0 to 100, got 101"),
            tuple("spec.retries.budget.minConcurrency", "expected 0 to 1000000, got -1"),
            tuple("spec.retries.replayBufferLimit", "expected at most 16MiB (the body is held in memory), got 17MiB"));
    assertThat(route("  upstream: v1\n  retries: {attempts: 0}\n"))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(tuple("spec.retries.attempts", "expected 1 to 10, got 0"));
  }

  @Test
  void refusesAnUnknownGrpcRetryCodeNamingTheFieldAndTheAllowedNames() {
    try {
      ObjectCodec.readYaml("test.yaml", "apiVersion: sluice.io/v1\nkind: Upstream\nmetadata: {name: u}\nspec:\n"
          + "  endpoints: [{address: 10.0.0.1:8080}]\n  retries: {grpcStatuses: [unavailable, not-found]}\n");
      throw new AssertionError("expected a decoding error");
    } catch (ConfigException e) {
      assertThat(e.errors()).extracting(ConfigError::field, ConfigError::message)
          .containsExactly(tuple("spec.retries.grpcStatuses[1]", "unknown grpcStatuses code 'not-found', expected one of "
              + "[cancelled, deadline-exceeded, resource-exhausted, internal, unavailable]"));
    }
  }

  @Test
  void refusesAGrpcHealthCheckOnAnHttp1UpstreamOrWithAPath() {
    assertThat(upstream("  healthCheck: {grpc: {service: a.B}, path: /healthz}\n"))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(
            tuple("spec.healthCheck.path", "not with grpc: a gRPC health check calls grpc.health.v1.Health/Check"),
            tuple("spec.healthCheck.grpc", "the gRPC health check needs an HTTP/2 upstream (spec.protocol h2 or h2c), got http1"));
  }

  @Test
  void refusesAnUnknownRetryCondition() {
    try {
      ObjectCodec.readYaml("test.yaml", "apiVersion: sluice.io/v1\nkind: Upstream\nmetadata: {name: u}\nspec:\n"
          + "  endpoints: [{address: 10.0.0.1:8080}]\n  retries: {retryOn: [5xx]}\n");
      throw new AssertionError("expected a decoding error");
    } catch (ConfigException e) {
      assertThat(e.errors()).extracting(ConfigError::field, ConfigError::message)
          .containsExactly(tuple("spec.retries.retryOn[0]", "unknown retryOn '5xx', expected one of [connect-failure, reset, timeout]"));
    }
  }

  @Test
  void refusesHealthChecksNamingEachBadField() {
    assertThat(upstream("""
          healthCheck: {interval: 1s, timeout: 2s, healthyThreshold: 0, unhealthyThreshold: 101, expectedStatuses: [99]}
        """))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(
            tuple("spec.healthCheck.path", "missing; expected the path to GET, such as /healthz"),
            tuple("spec.healthCheck.timeout", "must be at most the interval (1s), got 2s"),
            tuple("spec.healthCheck.healthyThreshold", "expected 1 to 100, got 0"),
            tuple("spec.healthCheck.unhealthyThreshold", "expected 1 to 100, got 101"),
            tuple("spec.healthCheck.expectedStatuses[0]", "expected a status from 100 to 599, got 99"));
    assertThat(upstream("  healthCheck: {path: healthz}\n"))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(tuple("spec.healthCheck.path", "expected a path starting with '/', got 'healthz'"));
  }

  @Test
  void refusesOutlierDetectionNamingEachBadField() {
    assertThat(upstream("""
          outlierDetection: {consecutive5xx: 0, consecutiveGatewayFailure: 0, baseEjectionTime: 1m, maxEjectionTime: 30s, maxEjectionPercent: 0}
        """))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(
            tuple("spec.outlierDetection", "both consecutive5xx and consecutiveGatewayFailure are 0, so nothing would ever "
                + "be ejected; expected at least one of them above 0"),
            tuple("spec.outlierDetection.maxEjectionTime", "must be at least baseEjectionTime (1m), got 30s"),
            tuple("spec.outlierDetection.maxEjectionPercent", "expected 1 to 100, got 0"));
  }

  @Test
  void refusesCircuitBreakersNamingEachBadField() {
    assertThat(upstream("""
          circuitBreaker:
            upstream: {failureRateThreshold: 0, slowCallRateThreshold: 101, slowCallDuration: 0s, minimumCalls: 0,
                       slidingWindow: {size: 0}, waitInOpen: 0s, halfOpenCalls: 0, failureStatuses: [600]}
        """))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(
            tuple("spec.circuitBreaker.upstream.failureRateThreshold", "expected 1 to 100, got 0"),
            tuple("spec.circuitBreaker.upstream.slowCallRateThreshold", "expected 1 to 100, got 101"),
            tuple("spec.circuitBreaker.upstream.slowCallDuration", "expected a duration greater than zero, got 0s"),
            tuple("spec.circuitBreaker.upstream.minimumCalls", "expected 1 to 100000, got 0"),
            tuple("spec.circuitBreaker.upstream.slidingWindow.size", "expected 1 to 100000, got 0"),
            tuple("spec.circuitBreaker.upstream.waitInOpen", "expected a duration greater than zero, got 0s"),
            tuple("spec.circuitBreaker.upstream.halfOpenCalls", "expected 1 to 1000, got 0"),
            tuple("spec.circuitBreaker.upstream.failureStatuses[0]", "expected a status from 100 to 599, got 600"));
    assertThat(upstream("  circuitBreaker: {}\n"))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(tuple("spec.circuitBreaker", "expected upstream or endpoint settings (or both), got neither"));
  }

  @Test
  void referencesListEveryUpstreamARouteCanSendTo() {
    ConfigObject<?> r = read(BASE + """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          upstreams: [{name: v1, weight: 9}, {name: v2, weight: 1}]
          canary: [{when: {header: {name: x, present: true}}, upstream: v3}, {when: {query: {name: y, present: true}}, upstream: v1}]
        """).get(2);
    assertThat(r.spec().references()).containsExactly(
        new ObjectRef(Kind.UPSTREAM, "v1"), new ObjectRef(Kind.UPSTREAM, "v2"), new ObjectRef(Kind.UPSTREAM, "v3"));
  }

  @Test
  void specsWithoutTheNewFieldsReadAsBefore() {
    RouteSpec r = (RouteSpec) read(BASE + "apiVersion: sluice.io/v1\nkind: Route\nmetadata: {name: r}\nspec: {upstream: v1}\n")
        .get(2).spec();
    assertThat(r.upstreams()).isEmpty();
    assertThat(r.canary()).isEmpty();
    assertThat(r.colour()).isNull();
    UpstreamSpec u = (UpstreamSpec) read(BASE).get(0).spec();
    assertThat(u.healthCheck()).isNull();
    assertThat(u.retries()).isNull();
  }
}
