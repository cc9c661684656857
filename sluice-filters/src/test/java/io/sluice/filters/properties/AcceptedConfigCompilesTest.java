package io.sluice.filters.properties;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.Kind;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.validate.Validator;
import io.sluice.proxy.Gateway;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * The invariant behind validation: whatever {@link Validator} accepts, the data plane compiles. Generates
 * configurations of every kind with numbers, durations and sizes drawn from the edges of their types
 * (0, -1, 2^31, 106752d, 1TiB + 1, ...) as well as ordinary values, and random configs of the built-in
 * filters; each one validation accepts is applied to a real gateway, which must take every object (none
 * skipped, nothing thrown). Tries are bounded so that the property runs in a few seconds.
 */
class AcceptedConfigCompilesTest {
  private static Gateway gateway;
  private static Path logs;

  @BeforeContainer
  static void start() throws IOException {
    gateway = Gateway.start(1);
    logs = Files.createTempDirectory("sluice-properties");
  }

  @AfterContainer
  static void stop() throws IOException {
    gateway.close();
    try (var files = Files.walk(logs)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Property(tries = 200, shrinking = ShrinkingMode.BOUNDED)
  void whateverValidationAcceptsTheDataPlaneCompiles(@ForAll("configurations") String yaml) throws ConfigException {
    List<ConfigError> errors = new ArrayList<>();
    List<ConfigObject<?>> accepted = new ArrayList<>(ObjectCodec.readYaml("generated.yaml", yaml, errors));
    // What validation accepts: the objects left once every object with an error is taken out, round
    // by round (taking one out may leave a reference to it dangling).
    for (List<ConfigError> e = Validator.validate(accepted); !e.isEmpty(); e = Validator.validate(accepted)) {
      Set<String> refused = new HashSet<>();
      for (ConfigError x : e) refused.add(x.object());
      accepted.removeIf(o -> refused.contains(o.ref()));
    }
    Statistics.label("objects accepted").collect(accepted.size());
    Statistics.label("routes accepted").collect(accepted.stream().anyMatch(o -> o.kind() == Kind.ROUTE));
    // Most generated objects carry a value out of range somewhere; enough of them must get through for the property to say anything.
    Statistics.label("routes accepted").coverage(c -> c.check(true).percentage(p -> p >= 10));
    Statistics.label("objects accepted").coverage(c -> c.check(2).percentage(p -> p <= 60));

    gateway.apply(ConfigSet.of(accepted));

    assertThat(gateway.skippedObjects()).as("objects the data plane could not compile").isEmpty();
    assertThat(gateway.config().all()).hasSameSizeAs(accepted);
  }

  /** The issue's numbers, and what the generator found before the bounds (kept as examples). */
  @Example
  void theIssuesTimeoutsAreRefusedByValidation() throws ConfigException {
    List<ConfigObject<?>> listener = ObjectCodec.readYaml("x.yaml", """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: l}
        spec: {address: 127.0.0.1:8080, timeouts: {idle: 106752d}}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: u}
        spec: {endpoints: [{address: 127.0.0.1:1}], timeouts: {response: 106752d}}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          upstream: u
          filters: [{kind: rate-limit, config: {requests: 1, per: 106752d}}, {kind: cache, config: {defaultTtl: 106752d}}]
        """);
    assertThat(Validator.validate(listener)).extracting(ConfigError::toString).containsExactly(
        "x.yaml:4:44: Listener/l: spec.timeouts.idle: 106752d is longer than the maximum 365d",
        "x.yaml:9:56: Upstream/u: spec.timeouts.response: 106752d is longer than the maximum 365d",
        "x.yaml:16:54: Route/r: spec.filters[0].config.per: 106752d is longer than the maximum 365d",
        "x.yaml:16:93: Route/r: spec.filters[1].config.defaultTtl: 106752d is longer than the maximum 365d");
  }

  /**
   * What the property found before validation caught it, each applied as generated: resilience4j refuses
   * a time window of one second, and a wait in open state below a millisecond.
   */
  @Example
  void theConfigurationsThePropertyFoundAreRefusedByValidation() throws ConfigException {
    List<ConfigObject<?>> found = ObjectCodec.readYaml("found.yaml", """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: window}
        spec:
          endpoints: [{address: 127.0.0.1:1}]
          circuitBreaker: {endpoint: {slidingWindow: {type: time, size: 1}}}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: wait}
        spec:
          endpoints: [{address: 127.0.0.1:1}]
          circuitBreaker: {upstream: {waitInOpen: PT0.000001S}}
        """);
    assertThat(Validator.validate(found)).extracting(ConfigError::toString).containsExactly(
        "found.yaml:6:59: Upstream/window: spec.circuitBreaker.endpoint.slidingWindow.size: expected 2 to 100000, got 1",
        "found.yaml:13:31: Upstream/wait: spec.circuitBreaker.upstream.waitInOpen: PT0.000001S is shorter than the minimum 1ms;"
            + " durations have millisecond precision");
  }

  // ---- generators

  @Provide
  Arbitrary<String> configurations() {
    Arbitrary<String> listener = Combinators.combine(sizes(), ints(), sizes(), ints(), ints(), durations(), durations(),
        durations()).as((hs, uri, body, conns, count, idle, read, drain) -> """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: l}
        spec:
          address: 127.0.0.1:0
          limits: {maxHeaderSize: %s, maxUriLength: %s, maxBodySize: %s, maxConnections: %s, maxHeaderCount: %s}
          timeouts: {idle: %s, headerRead: %s, drain: %s}
        """.formatted(hs, uri, body, conns, count, idle, read, drain));
    Arbitrary<String> accessLog = Combinators.combine(sizes(), durations(), ints()).as((size, every, keep) -> """
          accessLog: {format: json, file: {path: %s/access.log, maxSize: %s, rotateEvery: %s, keep: %s}}
        """.formatted(logs, size, every, keep));
    Arbitrary<String> upstream = Combinators.combine(ints(), durations(), durations(), ints(), durations(),
        optional("circuitBreaker", breaker().map(b -> "{endpoint: " + b + ", upstream: " + b + "}")),
        optional("outlierDetection", outlier()), optional("retries", retries()))
        .as((weight, connect, response, max, idle, cb, od, rp) -> """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: u}
        spec:
          endpoints: [{address: 127.0.0.1:1, weight: %s}]
          timeouts: {connect: %s, response: %s}
          pool: {maxConnectionsPerEndpoint: %s, idleTimeout: %s}
        %s%s%s""".formatted(weight, connect, response, max, idle, cb, od, rp));
    Arbitrary<String> route = Combinators.combine(ints(), optional("timeouts", Combinators.combine(durations(), durations(),
                durations(), durations())
            .as((request, upstreamResponse, websocketIdle, websocketLifetime) ->
                "{request: %s, upstreamResponse: %s, websocketIdle: %s, websocketLifetime: %s}"
                    .formatted(request, upstreamResponse, websocketIdle, websocketLifetime))),
        optional("retries", retries()), filters(), ints(), Arbitraries.of("", "  pipeline: p\n"))
        .as((priority, timeouts, rp, fs, weight, pipeline) -> """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          priority: %s
          match: {path: {prefix: /r}}
          upstreams: [{name: u0, weight: %s}]
          filters: %s
        %s%s%s""".formatted(priority, weight, fs, timeouts, rp, pipeline));
    Arbitrary<String> pipeline = filters().map(fs -> """
        apiVersion: sluice.io/v1
        kind: Pipeline
        metadata: {name: p}
        spec: {filters: %s}
        """.formatted(fs));
    Arbitrary<String> global = filters().map(fs -> """
        apiVersion: sluice.io/v1
        kind: GlobalFilter
        metadata: {name: g}
        spec: {before: %s}
        """.formatted(fs));
    Arbitrary<String> consumer = Combinators.combine(ints(), durations(), ints()).as((requests, per, burst) -> """
        apiVersion: sluice.io/v1
        kind: Consumer
        metadata: {name: c}
        spec: {keyAuth: {key: key-of-c-123}, rateLimit: {requests: %s, per: %s, burst: %s}}
        """.formatted(requests, per, burst));
    Arbitrary<String> listenerWithLog = Combinators.combine(listener, accessLog, Arbitraries.of(true, false))
        .as((l, a, withLog) -> withLog ? l + a : l);
    // What routes and filters refer to is always valid, so that a route is accepted often enough to be compiled.
    String fixed = """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: u0}
        spec: {endpoints: [{address: 127.0.0.1:1}]}
        ---
        apiVersion: sluice.io/v1
        kind: Consumer
        metadata: {name: c0}
        spec: {keyAuth: {key: key-of-c0-123}}
        """;
    Arbitrary<String> routeOnU = Combinators.combine(ints(), filters()).as((priority, fs) -> """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r2}
        spec: {priority: %s, match: {path: {prefix: /r2}}, upstream: u, filters: %s}
        """.formatted(priority, fs));
    return Combinators.combine(listenerWithLog, upstream, route, routeOnU, pipeline, global, consumer)
        .as((l, u, r, r2, p, g, c) -> String.join("---\n", fixed, l, u, r, r2, p, g, c));
  }

  /** {@code field: value} as a line of a spec, or nothing: optional sections keep most generated objects valid. */
  private static Arbitrary<String> optional(String field, Arbitrary<String> value) {
    return Arbitraries.oneOf(Arbitraries.just(""), value.map(v -> "  " + field + ": " + v + "\n"));
  }

  private static Arbitrary<String> breaker() {
    return Combinators.combine(ints(), ints(), durations(), ints(), Arbitraries.of("count", "time"), ints(), durations(), ints())
        .as((failure, slow, slowDuration, minimum, type, size, wait, halfOpen) -> ("{failureRateThreshold: %s, "
            + "slowCallRateThreshold: %s, slowCallDuration: %s, minimumCalls: %s, slidingWindow: {type: %s, size: %s}, "
            + "waitInOpen: %s, halfOpenCalls: %s}").formatted(failure, slow, slowDuration, minimum, type, size, wait, halfOpen));
  }

  private static Arbitrary<String> outlier() {
    return Combinators.combine(ints(), ints(), durations(), durations(), durations(), ints())
        .as((c5xx, gateway, interval, base, max, percent) -> ("{consecutive5xx: %s, consecutiveGatewayFailure: %s, "
            + "interval: %s, baseEjectionTime: %s, maxEjectionTime: %s, maxEjectionPercent: %s}")
            .formatted(c5xx, gateway, interval, base, max, percent));
  }

  private static Arbitrary<String> retries() {
    return Combinators.combine(ints(), durations(), durations(), doubles(), ints(), ints(), sizes())
        .as((attempts, base, max, jitter, percent, min, replay) -> ("{attempts: %s, backoff: {base: %s, max: %s, jitter: %s}, "
            + "budget: {percent: %s, minConcurrency: %s}, replayBufferLimit: %s}")
            .formatted(attempts, base, max, jitter, percent, min, replay));
  }

  /** A list of zero to two built-in filters with generated configs. */
  private static Arbitrary<String> filters() {
    return filter().list().ofMaxSize(2).map(l -> "[" + String.join(", ", l) + "]");
  }

  private static Arbitrary<String> filter() {
    return Arbitraries.oneOf(List.of(
        Combinators.combine(ints(), durations(), ints(), ints(), ints()).as((requests, per, burst, keys, hops) ->
            "{kind: rate-limit, config: {requests: %s, per: %s, burst: %s, maxKeys: %s, trustedHops: %s}}"
                .formatted(requests, per, burst, keys, hops)),
        Combinators.combine(sizes(), sizes(), durations()).as((max, entry, ttl) ->
            "{kind: cache, config: {maxSize: %s, maxEntrySize: %s, defaultTtl: %s}}".formatted(max, entry, ttl)),
        Combinators.combine(durations(), doubles(), ints(), doubles()).as((delay, p1, status, p2) ->
            "{kind: fault, config: {delay: {duration: %s, percentage: %s}, abort: {status: %s, percentage: %s}}}"
                .formatted(delay, p1, status, p2)),
        sizes().map(s -> "{kind: body-limit, config: {maxSize: %s}}".formatted(s)),
        Combinators.combine(sizes(), sizes()).as((min, max) ->
            "{kind: compression, config: {minSize: %s, maxSize: %s}}".formatted(min, max)),
        durations().map(d -> "{kind: cors, config: {allowOrigins: ['*'], maxAge: %s}}".formatted(d)),
        Combinators.combine(ints(), ints()).as((max, status) ->
            "{kind: concurrency-limit, config: {max: %s, status: %s}}".formatted(max, status)),
        sizes().map(s -> "{kind: json-transform, config: {maxBodySize: %s}}".formatted(s)),
        Combinators.combine(doubles(), sizes(), ints(), durations()).as((p, body, inFlight, timeout) ->
            "{kind: mirror, config: {upstream: u0, percentage: %s, maxBodySize: %s, maxInFlight: %s, timeout: %s}}"
                .formatted(p, body, inFlight, timeout)),
        Combinators.combine(ints(), ints()).as((status, redirectPort) ->
            "{kind: redirect, config: {status: %s, port: %s, path: /x}}".formatted(status, redirectPort)),
        ints().map(status -> "{kind: static-response, config: {status: %s, body: x}}".formatted(status)),
        ints().map(hops -> "{kind: ip-restriction, config: {allow: [10.0.0.0/8], trustedHops: %s}}".formatted(hops)),
        Combinators.combine(durations(), durations(), durations(), durations()).as((skew, refresh, refetch, timeout) ->
            ("{kind: jwt, config: {clockSkew: %s, issuers: [{issuer: i, secret: 0123456789abcdef0123456789abcdef, "
                + "jwks: {url: 'http://127.0.0.1:1/jwks', refresh: %s, minRefetch: %s, timeout: %s}}]}}")
                .formatted(skew, refresh, refetch, timeout)),
        Combinators.combine(sizes(), durations()).as((max, timeout) ->
            ("{kind: aggregate, config: {maxResponseSize: %s, calls: [{name: a, upstream: u0, path: /a, timeout: %s}]}}")
                .formatted(max, timeout)),
        Arbitraries.just("{kind: key-auth, config: {consumers: [c0]}}"),
        Arbitraries.just("{kind: header, config: {response: {set: {x-a: b}}}}")));
  }

  /** Durations as written, from ordinary ones to the edges of what Duration and its nanoseconds hold. */
  private static Arbitrary<String> durations() {
    Arbitrary<String> edges = Arbitraries.of("0s", "1ms", "1s", "10s", "1m", "1h", "1d", "365d", "366d", "364d23h59m59s",
        "106751d", "106752d", "292471d", "9223372036854775807ms", "2562047h", "PT0.000001S", "-1s", "-PT1S", "P365D",
        "PT8760H", "365d1ms");
    Arbitrary<String> ordinary = Arbitraries.oneOf(
        Combinators.combine(Arbitraries.longs().between(1, 999), Arbitraries.of("ms", "s", "m", "h")).as((n, unit) -> n + unit),
        Arbitraries.longs().between(1, 400).map(n -> n + "d"));
    return Arbitraries.frequencyOf(Tuple.of(1, edges), Tuple.of(3, ordinary), Tuple.of(6, Arbitraries.of("5s", "30s", "1m")));
  }

  /** Sizes as written: bytes or with a unit, up to far beyond a long. */
  private static Arbitrary<String> sizes() {
    Arbitrary<String> edges = Arbitraries.of("0", "1", "512", "1KiB", "16KiB", "1MiB", "16MiB", "2047MiB", "2GiB", "3GiB",
        "2147483647", "2147483648", "1024GiB", "1025GiB", "8589934592GiB", "9223372036854775807");
    Arbitrary<String> ordinary = Combinators.combine(Arbitraries.longs().between(1, 5000), Arbitraries.of("", "KiB", "MiB"))
        .as((n, unit) -> n + unit);
    return Arbitraries.frequencyOf(Tuple.of(1, edges), Tuple.of(3, ordinary), Tuple.of(6, Arbitraries.of("1MiB", "64KiB")));
  }

  /** Integers: counts, ports, statuses, percentages and weights, at their edges and between. */
  private static Arbitrary<String> ints() {
    Arbitrary<Long> edges = Arbitraries.of(-2147483648L, -1L, 0L, 1L, 2L, 3L, 5L, 99L, 100L, 101L, 200L, 404L, 429L, 503L,
        599L, 600L, 1000L, 1001L, 10000L, 10001L, 65535L, 65536L, 100000L, 1000000L, 2147483647L, 2147483648L);
    Arbitrary<Long> ordinary = Arbitraries.longs().between(1, 100);
    return Arbitraries.frequencyOf(Tuple.of(1, edges), Tuple.of(3, ordinary), Tuple.of(6, Arbitraries.of(1L, 2L, 5L, 10L, 50L)))
        .map(String::valueOf);
  }

  /** Ratios and percentages. */
  private static Arbitrary<String> doubles() {
    return Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.of("0", "50", "100", "100.5", "-1", "1.0e300")),
        Tuple.of(4, Arbitraries.of("0.5", "0.25", "1", "0.99")));
  }
}
