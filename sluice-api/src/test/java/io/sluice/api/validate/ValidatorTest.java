package io.sluice.api.validate;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.api.pipeline.GlobalFilterSpec;
import io.sluice.api.pipeline.PipelineSpec;
import io.sluice.api.route.KeyMatch;
import io.sluice.api.route.PathMatch;
import io.sluice.api.route.RouteMatch;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.upstream.UpstreamSpec;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ValidatorTest {
  /**
   * A valid configuration the tests add to; its objects start on lines 1, 6 and 11 of test.yaml.
   * Upstream/orders and Route/orders share a name, which is fine across kinds.
   */
  private static final String BASE = """
      apiVersion: sluice.io/v1
      kind: Listener
      metadata: {name: public}
      spec: {address: 127.0.0.1:8080}
      ---
      apiVersion: sluice.io/v1
      kind: Upstream
      metadata: {name: orders}
      spec: {endpoints: [{address: 10.0.0.1:8080}]}
      ---
      apiVersion: sluice.io/v1
      kind: Route
      metadata: {name: orders}
      spec: {listeners: [public], match: {path: {prefix: /orders}}, upstream: orders}
      ---
      """;
  /** The line the first document after {@link #BASE} starts on. */
  private static final String ADDED = "test.yaml:16";

  /**
   * Validates the objects of {@code yaml} without their fields' places, so that every error names the
   * line its object starts on: these tests are about what is refused ({@link FieldLocationTest} about where).
   */
  private static List<ConfigError> validate(String yaml) {
    try {
      return Validator.validate(ObjectCodec.readYaml("test.yaml", yaml).stream()
          .<ConfigObject<?>>map(o -> new ConfigObject<>(o.apiVersion(), o.kind(), o.metadata(), o.spec(), o.source()))
          .toList());
    } catch (ConfigException e) {
      throw new AssertionError("the test's YAML does not decode: " + e.getMessage(), e);
    }
  }

  private static List<ConfigError> validateRoute(String spec) {
    return validate(BASE + "apiVersion: sluice.io/v1\nkind: Route\nmetadata: {name: r}\nspec:\n" + spec);
  }

  private static List<ConfigError> validateUpstream(String spec) {
    return validate(BASE + "apiVersion: sluice.io/v1\nkind: Upstream\nmetadata: {name: u}\nspec:\n" + spec);
  }

  private static List<ConfigError> validateListener(String spec) {
    return validate(BASE + "apiVersion: sluice.io/v1\nkind: Listener\nmetadata: {name: l}\nspec:\n" + spec);
  }

  private static ConfigError routeError(String field, String message) {
    return new ConfigError(ADDED, "Route/r", field, message);
  }

  private static ConfigError upstreamError(String field, String message) {
    return new ConfigError(ADDED, "Upstream/u", field, message);
  }

  private static ConfigError listenerError(String field, String message) {
    return new ConfigError(ADDED, "Listener/l", field, message);
  }

  @Test
  void acceptsAValidConfiguration() {
    assertThat(validate(BASE)).isEmpty();
  }

  // ---- names and references

  @Test
  void refusesRouteWithDanglingUpstreamNamingTheField() {
    assertThat(validateRoute("  upstream: billing\n"))
        .containsExactly(routeError("spec.upstream", "Upstream 'billing' does not exist"));
  }

  @Test
  void refusesRouteOnAListenerThatDoesNotExist() {
    assertThat(validateRoute("  listeners: [public, private]\n  upstream: orders\n"))
        .containsExactly(routeError("spec.listeners[1]", "Listener 'private' does not exist"));
  }

  @Test
  void doesNotReportAReferenceToAnObjectThatExistsButCouldNotBeRead() {
    List<ConfigObject<?>> objects = List.of(ConfigObject.of(Kind.ROUTE, "r",
        new RouteSpec(List.of(), List.of(), null, null, "billing", null, null)));

    assertThat(Validator.validate(objects, Set.of("Upstream/billing"))).isEmpty();
  }

  @Test
  void refusesDuplicateNameNamingBothSources() {
    assertThat(validate(BASE + """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: orders}
        spec: {endpoints: [{address: 10.0.0.2:8080}]}
        """)).containsExactly(new ConfigError(ADDED, "Upstream/orders", "metadata.name",
        "duplicate name: Upstream/orders is also defined in test.yaml:6"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Orders", "-orders", "orders-", "or ders", "orders_v1", "orders/v1"})
  void refusesAnInvalidName(String name) {
    List<ConfigObject<?>> objects = List.of(ConfigObject.of(Kind.UPSTREAM, name,
        new UpstreamSpec(List.of(UpstreamSpec.Endpoint.of("10.0.0.1:80")), null, null, null)));

    assertThat(Validator.validate(objects)).containsExactly(new ConfigError("<inline>", "Upstream/" + name,
        "metadata.name", "invalid name '" + name + "': expected lower-case letters, digits, '-' and '.', "
        + "starting and ending with a letter or digit"));
  }

  @Test
  void refusesAnEmptyOrOverlongName() {
    UpstreamSpec spec = new UpstreamSpec(List.of(UpstreamSpec.Endpoint.of("10.0.0.1:80")), null, null, null);
    String longName = "a".repeat(254);

    assertThat(Validator.validate(List.of(ConfigObject.of(Kind.UPSTREAM, "", spec), ConfigObject.of(Kind.UPSTREAM, longName, spec))))
        .containsExactly(
            new ConfigError("<inline>", "Upstream/", "metadata.name", "missing; expected a name such as orders-v1"),
            new ConfigError("<inline>", "Upstream/" + longName, "metadata.name",
                "too long: 254 characters, expected at most 253"));
  }

  // ---- Listener

  @Test
  void refusesPortClashNamingTheOtherListener() {
    assertThat(validateListener("  address: 127.0.0.1:8080\n")).containsExactly(listenerError("spec.address",
        "port clash: 127.0.0.1:8080 overlaps Listener/public on 127.0.0.1:8080 (test.yaml:1)"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0:8080", "'[::]:8080'"})
  void refusesAWildcardListenerOnAPortAnotherListenerUses(String address) {
    assertThat(validateListener("  address: " + address + "\n")).containsExactly(listenerError("spec.address",
        "port clash: " + address.replace("'", "") + " overlaps Listener/public on 127.0.0.1:8080 (test.yaml:1)"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1:8081", "127.0.0.2:8080", "'[::1]:8080'", "localhost:9090"})
  void acceptsListenersOnDistinctAddresses(String address) {
    assertThat(validateListener("  address: " + address + "\n")).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "127.0.0.1      | expected host:port such as 127.0.0.1:8080 (IPv6 as [::1]:8080), got '127.0.0.1'",
      ":8080          | expected host:port such as 127.0.0.1:8080 (IPv6 as [::1]:8080), got ':8080'",
      "127.0.0.1:http | expected host:port such as 127.0.0.1:8080 (IPv6 as [::1]:8080), got '127.0.0.1:http'",
      "127.0.0.1:70000 | port must be 0 to 65535, got 70000 in '127.0.0.1:70000'",
      "::1:8080       | an IPv6 address must be written in brackets such as [::1], got '::1' in '::1:8080'",
      "300.0.0.1:80   | expected an IPv4 address such as 10.0.0.1, got '300.0.0.1' in '300.0.0.1:80'",
      "bad host:80    | expected a host name such as api.example.com or an IPv4 address, got 'bad host' in 'bad host:80'",
  })
  void refusesAListenerAddressThatIsNotHostPort(String address, String message) {
    assertThat(validateListener("  address: \"" + address + "\"\n")).containsExactly(listenerError("spec.address", message));
  }

  @Test
  void acceptsAListenerOnPortZeroForTheOsToPick() {
    assertThat(validateListener("  address: 127.0.0.1:0\n")).isEmpty();
    assertThat(validateListener("  address: 0.0.0.0:0\n")).isEmpty();
  }

  @Test
  void doesNotCallTwoListenersOnPortZeroAClash() {
    assertThat(validate(BASE + """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: a}
        spec: {address: 127.0.0.1:0}
        ---
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: b}
        spec: {address: 127.0.0.1:0}
        ---
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: c}
        spec: {address: 0.0.0.0:0}
        """)).isEmpty();
  }

  @Test
  void refusesAListenerWithoutAddress() {
    assertThat(validateListener("  timeouts: {idle: 5s}\n"))
        .containsExactly(listenerError("spec.address", "missing; expected host:port such as 127.0.0.1:8080"));
  }

  @Test
  void refusesARequestBufferAbove16MiB() {
    assertThat(validateListener("""
          address: 127.0.0.1:9000
          limits: {requestBuffer: 17MiB}
        """)).containsExactly(listenerError("spec.limits.requestBuffer", "must be at most 16MiB, got 17MiB"));
    assertThat(validateListener("""
          address: 127.0.0.1:9000
          limits: {requestBuffer: 0}
        """)).isEmpty();
  }

  @Test
  void refusesListenerLimitsAndTimeoutsOutOfRange() {
    assertThat(validateListener("""
          address: 127.0.0.1:9000
          limits: {maxHeaderSize: 512, maxUriLength: 10, maxConnections: 0, maxHeaderCount: 0, maxBodySize: 0}
          timeouts: {idle: 0s, headerRead: PT-1S}
        """)).containsExactly(
        listenerError("spec.limits.maxHeaderSize", "expected at least 1KiB, got 512"),
        listenerError("spec.limits.maxUriLength", "expected at least 64, got 10"),
        listenerError("spec.limits.maxConnections", "expected at least 1, got 0"),
        listenerError("spec.limits.maxHeaderCount", "expected at least 1, got 0"),
        listenerError("spec.limits.maxBodySize", "expected at least 1, got 0"),
        listenerError("spec.timeouts.idle", "expected a duration greater than zero, got 0s"),
        listenerError("spec.timeouts.headerRead", "expected a duration greater than zero, got PT-1S"));
  }

  @Test
  void refusesAFilterTimeoutThatIsNotPositiveOrOverTenMinutes() {
    assertThat(validateListener("""
          address: 127.0.0.1:9000
          timeouts: {filter: 0s}
        """)).containsExactly(listenerError("spec.timeouts.filter", "expected a duration greater than zero, got 0s"));
    assertThat(validateListener("""
          address: 127.0.0.1:9000
          timeouts: {filter: 11m}
        """)).containsExactly(listenerError("spec.timeouts.filter", "must be at most 10m, got 11m"));
    assertThat(validateListener("""
          address: 127.0.0.1:9000
          timeouts: {filter: 10m}
        """)).isEmpty();
  }

  // ---- Route

  @Test
  void refusesRouteWithBothUpstreamAndDirectResponseNamingBoth() {
    assertThat(validateRoute("  upstream: orders\n  directResponse: {status: 204}\n")).containsExactly(
        routeError("spec.upstream", "both upstream and directResponse are set; expected exactly one of upstream, upstreams and directResponse"));
  }

  @Test
  void refusesRouteWithNeitherUpstreamNorDirectResponse() {
    assertThat(validateRoute("  priority: 1\n"))
        .containsExactly(routeError("spec.upstream", "missing; a route needs one of upstream, upstreams and directResponse"));
  }

  @Test
  void refusesInvalidPathRegexShowingTheRegexAndTheReason() {
    assertThat(validateRoute("  match: {path: {regex: '/([a-z'}}\n  upstream: orders\n")).containsExactly(
        routeError("spec.match.path.regex", "invalid regular expression '/([a-z': Unclosed character class"));
  }

  @Test
  void refusesPathMatchWithTwoKindsOrNone() {
    assertThat(validateRoute("  match: {path: {prefix: /a, regex: /b}}\n  upstream: orders\n")).containsExactly(
        routeError("spec.match.path", "expected exactly one of exact, prefix, regex, template; got prefix and regex"));
    assertThat(validateRoute("  match: {path: {}}\n  upstream: orders\n")).containsExactly(
        routeError("spec.match.path", "expected exactly one of exact, prefix, regex, template; got none"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"exact", "prefix", "template"})
  void refusesAPathThatDoesNotStartWithSlash(String kind) {
    assertThat(validateRoute("  match: {path: {" + kind + ": orders}}\n  upstream: orders\n")).containsExactly(
        routeError("spec.match.path." + kind, "expected a path starting with '/', got 'orders'"));
  }

  @Test
  void refusesTemplatePlaceholdersThatAreNotWholeSegmentsOrRepeat() {
    assertThat(validateRoute("  match: {path: {template: '/users/{id}/x-{n}/{id}'}}\n  upstream: orders\n"))
        .containsExactly(
            routeError("spec.match.path.template", "invalid segment 'x-{n}' in '/users/{id}/x-{n}/{id}': expected "
                + "a placeholder to be a whole segment {name}, the name of letters, digits and '_'"),
            routeError("spec.match.path.template", "placeholder {id} appears twice in '/users/{id}/x-{n}/{id}'; "
                + "expected each name once"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"get", "GE T", "GET/1", "''"})
  void refusesAMethodThatIsNotAnUpperCaseToken(String method) {
    assertThat(validateRoute("  match: {methods: [GET, " + method + "]}\n  upstream: orders\n")).containsExactly(
        routeError("spec.match.methods[1]", "invalid method '" + method.replace("'", "")
            + "': expected an upper-case token such as GET"));
  }

  @Test
  void refusesHeaderAndQueryConditionsWithoutExactlyOneTest() {
    assertThat(validateRoute("""
          match:
            headers:
              - {name: x-a}
              - {name: x-b, exact: "1", present: true}
              - {name: x-c, present: false}
              - {name: x-d, regex: '[a'}
            query:
              - {exact: "1"}
          upstream: orders
        """)).containsExactly(
        routeError("spec.match.headers[0]", "expected exactly one of exact, regex, present: true, absent: true; got none"),
        routeError("spec.match.headers[1]",
            "expected exactly one of exact, regex, present: true, absent: true; got exact and present: true"),
        routeError("spec.match.headers[2]", "expected exactly one of exact, regex, present: true, absent: true; got none"),
        routeError("spec.match.headers[3].regex", "invalid regular expression '[a': Unclosed character class"),
        routeError("spec.match.query[0].name", "missing; expected the query parameter name"));
  }

  @Test
  void refusesAHeaderNameThatIsNotAToken() {
    List<ConfigObject<?>> objects = List.of(ConfigObject.of(Kind.ROUTE, "r", new RouteSpec(null, null, null,
        new RouteMatch(null, null, List.of(KeyMatch.present("x a")), null), null, null,
        new io.sluice.api.route.DirectResponse(null, null, null, null))));

    assertThat(Validator.validate(objects)).containsExactly(new ConfigError("<inline>", "Route/r",
        "spec.match.headers[0].name", "invalid header name 'x a': expected a token such as x-request-id"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "api.example.com:8080 | a route host has no port, got 'api.example.com:8080'",
      "api.*.com            | a wildcard must be a leading '*.' followed by a domain such as *.example.com, got 'api.*.com'",
      "*example.com         | a wildcard must be a leading '*.' followed by a domain such as *.example.com, got '*example.com'",
      "bad_host!.com        | expected a host name such as api.example.com or an IPv4 address, got 'bad_host!.com'",
      "-a.com               | expected a host name such as api.example.com or an IPv4 address, got '-a.com'",
  })
  void refusesAnInvalidRouteHost(String host, String message) {
    assertThat(validateRoute("  hosts: [example.com, \"" + host + "\"]\n  upstream: orders\n"))
        .containsExactly(routeError("spec.hosts[1]", message));
  }

  @ParameterizedTest
  @ValueSource(strings = {"api.example.com", "API.Example.COM", "*.example.com", "localhost", "10.0.0.1", "[::1]", "my_svc.local"})
  void acceptsAValidRouteHost(String host) {
    assertThat(validateRoute("  hosts: [\"" + host + "\"]\n  upstream: orders\n")).isEmpty();
  }

  @Test
  void refusesRewriteOfThePathPrefixWithoutAPrefixMatch() {
    assertThat(validateRoute("  match: {path: {exact: /a}}\n  rewrite: {pathPrefix: b}\n  upstream: orders\n")).containsExactly(
        routeError("spec.rewrite.pathPrefix",
            "only allowed with a prefix path match (spec.match.path.prefix), but the path is matched by exact"),
        routeError("spec.rewrite.pathPrefix", "expected a path starting with '/', got 'b'"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "a b         | expected a host name such as api.example.com or an IPv4 address, got 'a b'",
      "h:0         | port must be 1 to 65535, got 0 in 'h:0'",
      "*.a.com     | expected a host name such as api.example.com or an IPv4 address, got '*.a.com'",
  })
  void refusesAnInvalidRewriteHost(String host, String message) {
    assertThat(validateRoute("  rewrite: {host: \"" + host + "\"}\n  upstream: orders\n"))
        .containsExactly(routeError("spec.rewrite.host", message));
  }

  @ParameterizedTest
  @ValueSource(strings = {"orders.internal", "orders.internal:8443", "[::1]", "[::1]:80", "10.0.0.1:80"})
  void acceptsAValidRewriteHost(String host) {
    assertThat(validateRoute("  rewrite: {host: \"" + host + "\"}\n  upstream: orders\n")).isEmpty();
  }

  @Test
  void refusesADirectResponseWithBadStatusOrEchoAndBody() {
    assertThat(validateRoute("  directResponse: {status: 99, echo: true, body: hi, headers: {\"x a\": \"1\\n2\"}}\n"))
        .containsExactly(
            routeError("spec.directResponse.status", "expected 200 to 599, got 99"),
            routeError("spec.directResponse.body",
                "set together with echo: true, which answers with the request; expected one of them"),
            routeError("spec.directResponse.headers.x a", "invalid header name 'x a': expected a token such as x-served-by"),
            routeError("spec.directResponse.headers.x a",
                "invalid header value: expected no control characters such as a line break"));
  }

  // ---- Upstream

  @Test
  void refusesAnUpstreamWithoutEndpoints() {
    assertThat(validateUpstream("  endpoints: []\n")).containsExactly(upstreamError("spec.endpoints",
        "missing; expected at least one endpoint such as {address: 10.0.0.1:8080}"));
  }

  @Test
  void refusesInvalidDuplicateAndOverweightEndpoints() {
    assertThat(validateUpstream("""
          endpoints:
            - {address: 10.0.0.1:80}
            - {address: 10.0.0.1}
            - {address: 10.0.0.1:80, weight: 1001}
            - {weight: 0}
            - {address: 10.0.0.1:0}
        """)).containsExactly(
        upstreamError("spec.endpoints[1].address",
            "expected host:port such as 127.0.0.1:8080 (IPv6 as [::1]:8080), got '10.0.0.1'"),
        upstreamError("spec.endpoints[2].address", "duplicate address '10.0.0.1:80', already spec.endpoints[0]"),
        upstreamError("spec.endpoints[2].weight", "expected 1 to 1000, got 1001"),
        upstreamError("spec.endpoints[3].address", "missing; expected host:port such as 10.0.0.1:8080"),
        upstreamError("spec.endpoints[3].weight", "expected 1 to 1000, got 0"),
        // Port 0 is for listeners (the OS picks one); an endpoint needs the port to connect to.
        upstreamError("spec.endpoints[4].address", "port must be 1 to 65535, got 0 in '10.0.0.1:0'"));
  }

  @Test
  void refusesHashingOnAHeaderWithoutNamingIt() {
    assertThat(validateUpstream("  endpoints: [{address: a:1}]\n  loadBalancer: {policy: header-hash}\n"))
        .containsExactly(upstreamError("spec.loadBalancer.hashHeader",
            "missing; policy header-hash needs the name of the header to hash"));
    assertThat(validateUpstream("  endpoints: [{address: a:1}]\n  loadBalancer: {policy: maglev, hashOn: header}\n"))
        .containsExactly(upstreamError("spec.loadBalancer.hashHeader",
            "missing; hashOn: header needs the name of the header to hash"));
  }

  @Test
  void refusesUpstreamTimeoutsAndPoolOutOfRange() {
    assertThat(validateUpstream("""
          endpoints: [{address: "[::1]:80"}]
          timeouts: {connect: 0ms, response: 0s}
          pool: {maxConnectionsPerEndpoint: 0, idleTimeout: 0s}
        """)).containsExactly(
        upstreamError("spec.timeouts.connect", "expected a duration greater than zero, got 0s"),
        upstreamError("spec.timeouts.response", "expected a duration greater than zero, got 0s"),
        upstreamError("spec.pool.maxConnectionsPerEndpoint", "expected at least 1, got 0"),
        upstreamError("spec.pool.idleTimeout", "expected a duration greater than zero, got 0s"));
  }

  @Test
  void refusesAnUpstreamProtocolThatDoesNotFitItsTls() {
    assertThat(validateUpstream("  endpoints: [{address: a:1}]\n  protocol: h3\n"))
        .containsExactly(upstreamError("spec.protocol", "unknown protocol 'h3'; expected http1, h2, h2c or auto"));
    assertThat(validateUpstream("  endpoints: [{address: a:1}]\n  protocol: h2\n"))
        .containsExactly(upstreamError("spec.protocol", "h2 chooses HTTP/2 by ALPN on TLS and this upstream has no spec.tls;"
            + " expected h2c (HTTP/2 over plain TCP) or add spec.tls"));
    assertThat(validateUpstream("  endpoints: [{address: a:1}]\n  protocol: auto\n"))
        .containsExactly(upstreamError("spec.protocol", "auto chooses HTTP/2 by ALPN on TLS and this upstream has no spec.tls;"
            + " expected h2c (HTTP/2 over plain TCP) or add spec.tls"));
    assertThat(validateUpstream("  endpoints: [{address: a:1}]\n  protocol: h2c\n  tls: {insecureSkipVerify: true}\n"))
        .containsExactly(upstreamError("spec.protocol", "h2c is HTTP/2 over plain TCP and this upstream has spec.tls;"
            + " expected h2 or auto (HTTP/2 over TLS, by ALPN)"));
    assertThat(validateUpstream("  endpoints: [{address: a:1}]\n  protocol: h2c\n  http2: {pingInterval: 0s, pingTimeout: 0s}\n"))
        .containsExactly(
            upstreamError("spec.http2.pingInterval", "expected a duration greater than zero, got 0s"),
            upstreamError("spec.http2.pingTimeout", "expected a duration greater than zero, got 0s"));
  }

  @Test
  void acceptsEachUpstreamProtocolWithTheTransportItNeeds() {
    assertThat(validateUpstream("  endpoints: [{address: a:1}]\n  protocol: http1\n")).isEmpty();
    assertThat(validateUpstream("  endpoints: [{address: a:1}]\n  protocol: h2c\n  http2: {pingInterval: 10s}\n")).isEmpty();
    assertThat(validateUpstream("  endpoints: [{address: a:1}]\n  protocol: h2\n  tls: {insecureSkipVerify: true}\n")).isEmpty();
    assertThat(validateUpstream("  endpoints: [{address: a:1}]\n  protocol: auto\n  tls: {insecureSkipVerify: true}\n")).isEmpty();
  }

  @Test
  void refusesAnObjectBuiltWithAnotherApiVersion() {
    ConfigObject<ListenerSpec> o = new ConfigObject<>("sluice.io/v0", Kind.LISTENER,
        io.sluice.api.ObjectMeta.named("l"), new ListenerSpec("127.0.0.1:1", null, null), "<api>");

    assertThat(Validator.validate(List.of(o))).containsExactly(
        new ConfigError("<api>", "Listener/l", "apiVersion", "expected 'sluice.io/v1', got 'sluice.io/v0'"));
  }

  @Test
  void reportsTheErrorsOfEveryObject() {
    List<ConfigObject<?>> objects = List.of(
        ConfigObject.of(Kind.ROUTE, "a", new RouteSpec(null, null, null, new RouteMatch(PathMatch.exact("x"), null, null, null),
            "nowhere", null, null)),
        ConfigObject.of(Kind.UPSTREAM, "b", new UpstreamSpec(null, null, null, null)));

    assertThat(Validator.validate(objects)).extracting(ConfigError::toString).containsExactly(
        "<inline>: Route/a: spec.upstream: Upstream 'nowhere' does not exist",
        "<inline>: Route/a: spec.match.path.exact: expected a path starting with '/', got 'x'",
        "<inline>: Upstream/b: spec.endpoints: missing; expected at least one endpoint such as {address: 10.0.0.1:8080}");
  }

  // ---- Observability

  @Test
  void acceptsAccessLogAndTracingSettings() {
    assertThat(validateListener("""
          address: 127.0.0.1:9000
          accessLog: {format: json, fields: [time, status, traceId], file: {path: a.log, maxSize: 1MiB, rotateEvery: 1h, keep: 3}}
          tracing: {samplingRatio: 0.25, exporter: zipkin, endpoint: "http://127.0.0.1:9411/api/v2/spans", propagation: [w3c, b3]}
        """)).isEmpty();
    assertThat(validateListener("""
          address: 127.0.0.1:9000
          accessLog: {template: '{client} "{method} {path}" {status}'}
        """)).isEmpty();
    assertThat(validateRoute("  upstream: orders\n  tracing: {samplingRatio: 1}\n")).isEmpty();
  }

  @Test
  void refusesAccessLogSettingsNamingTheField() {
    assertThat(validateListener("""
          address: 127.0.0.1:9000
          accessLog:
            format: json
            fields: [time, nope, time]
            template: '{client} {bogus}'
            file: {path: " ", maxSize: 100, rotateEvery: 10ms, keep: -1}
        """)).containsExactly(
        listenerError("spec.accessLog.fields[1]", "unknown field 'nope', expected one of " + io.sluice.api.listener.AccessLog.FIELDS),
        listenerError("spec.accessLog.fields[2]", "field 'time' appears twice; expected each field once"),
        listenerError("spec.accessLog.template", "only for format text; a json line has the fields as keys (use fields)"),
        listenerError("spec.accessLog.template", "set together with fields; expected one of them"),
        listenerError("spec.accessLog.template", "unknown field {bogus}, expected one of " + io.sluice.api.listener.AccessLog.FIELDS),
        listenerError("spec.accessLog.file.path", "missing; expected a file in the log directory such as access.log"),
        listenerError("spec.accessLog.file.maxSize", "expected at least 1KiB, got 100"),
        listenerError("spec.accessLog.file.rotateEvery", "must be at least 1s, got 10ms"),
        listenerError("spec.accessLog.file.keep", "expected 0 to 1000 rotated files, got -1"));
    assertThat(validateListener("  address: 127.0.0.1:9000\n  accessLog: {template: 'no fields here'}\n")).containsExactly(
        listenerError("spec.accessLog.template", "no {field} in 'no fields here'; expected e.g. '{client} {status}'"));
  }

  @Test
  void refusesTracingSettingsNamingTheField() {
    assertThat(validateListener("""
          address: 127.0.0.1:9000
          tracing: {samplingRatio: 1.5, endpoint: "ftp://x/traces", propagation: [b3, b3], serviceName: " "}
        """)).containsExactly(
        listenerError("spec.tracing.samplingRatio", "expected a number from 0 to 1, got 1.5"),
        listenerError("spec.tracing.endpoint", "expected an http or https URL such as http://127.0.0.1:4318/v1/traces, got 'ftp://x/traces'"),
        listenerError("spec.tracing.propagation", "a format appears twice in [b3, b3]; expected each once"),
        listenerError("spec.tracing.serviceName", "empty; expected a name such as sluice"));
    assertThat(validateRoute("  upstream: orders\n  tracing: {samplingRatio: -0.1}\n")).containsExactly(
        routeError("spec.tracing.samplingRatio", "expected a number from 0 to 1, got -0.1"));
    assertThat(validateRoute("  upstream: orders\n  tracing: {}\n")).containsExactly(
        routeError("spec.tracing.samplingRatio", "missing; expected a number from 0 to 1"));
  }

  @Test
  void refusesUnknownAccessLogFormatsAndExportersAtDecoding() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ObjectCodec.readYaml("t.yaml", """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: l}
        spec:
          address: 127.0.0.1:9000
          accessLog: {format: xml}
          tracing: {exporter: jaeger, samplingRatio: "x"}
        """)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("spec.accessLog.format: unknown access log format 'xml', expected text or json")
        .hasMessageContaining("spec.tracing.exporter: unknown tracing exporter 'jaeger', expected otlp or zipkin");
  }

  /** A configuration of Listener/public, Upstream/orders and Route/a, without pipelines or global filters. */
  private static final Validator.RouteContext PUBLIC_AND_ORDERS = new Validator.RouteContext() {
    @Override
    public boolean exists(Kind kind, String name) {
      return kind == Kind.LISTENER && name.equals("public") || kind == Kind.UPSTREAM && name.equals("orders")
          || kind == Kind.ROUTE && name.equals("a");
    }

    @Override
    public ConfigObject<PipelineSpec> pipeline(String name) {
      return null;
    }

    @Override
    public List<ConfigObject<GlobalFilterSpec>> globalFilters() {
      return List.of();
    }
  };

  @Test
  void validateRoutesReportsWhatValidateReportsAboutTheRoutesNamesFirst() throws ConfigException {
    String routes = """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: a}
        spec: {listeners: [public, nowhere], upstream: orders, pipeline: p, disableGlobal: [x]}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: a}
        spec: {upstream: missing}
        """;
    List<ConfigObject<?>> objects = ObjectCodec.readYaml("test.yaml", routes);

    List<ConfigError> errors = Validator.validateRoutes(objects, PUBLIC_AND_ORDERS, null);

    assertThat(errors).extracting(ConfigError::toString).containsExactly(
        "test.yaml:8:12: Route/a: metadata.name: duplicate name: Route/a is also defined in test.yaml:1",
        "test.yaml:4:28: Route/a: spec.listeners[1]: Listener 'nowhere' does not exist",
        "test.yaml:4:56: Route/a: spec.pipeline: Pipeline 'p' does not exist",
        "test.yaml:4:85: Route/a: spec.disableGlobal[0]: no GlobalFilter has a filter named 'x'",
        "test.yaml:9:8: Route/a: spec.upstream: Upstream 'missing' does not exist");
    List<ConfigObject<?>> configuration = new java.util.ArrayList<>(ObjectCodec.readYaml("base.yaml", """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: public}
        spec: {address: 127.0.0.1:8080}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: orders}
        spec: {endpoints: [{address: 10.0.0.1:8080}]}
        """));
    configuration.addAll(objects);
    assertThat(errors).isEqualTo(Validator.validate(configuration, Set.of(), null));
  }

  @Test
  void validateRoutesRefusesAnObjectThatIsNotARoute() {
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
        .isThrownBy(() -> Validator.validateRoutes(List.of(ConfigObject.of(Kind.UPSTREAM, "orders",
            new UpstreamSpec(List.of(UpstreamSpec.Endpoint.of("10.0.0.1:80")), null, null, null))), PUBLIC_AND_ORDERS, null))
        .withMessage("Upstream/orders is not a Route");
  }

  @Test
  void listenerNodeSelectorWithKubernetesLabelsIsValidAndSelectsNodesByEquality() throws Exception {
    assertThat(validateListener("  address: 127.0.0.1:8081\n  nodeSelector: {zone: a, sluice.io/tier: edge, empty: \"\"}\n")).isEmpty();
    ListenerSpec spec = (ListenerSpec) ObjectCodec.readYaml("l.yaml", """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: l}
        spec: {address: 127.0.0.1:8081, nodeSelector: {zone: a}}
        """).get(0).spec();
    assertThat(spec.nodeSelector()).containsExactly(java.util.Map.entry("zone", "a"));
    assertThat(spec.selects(java.util.Map.of("zone", "a", "tier", "edge"))).isTrue();
    assertThat(spec.selects(java.util.Map.of("zone", "b"))).isFalse();
    assertThat(spec.selects(java.util.Map.of())).isFalse();
    assertThat(new ListenerSpec("127.0.0.1:1", null, null).selects(java.util.Map.of())).isTrue();
  }

  @Test
  void listenerNodeSelectorRefusesKeysAndValuesThatAreNotLabelsNamingTheField() {
    assertThat(validateListener("  address: 127.0.0.1:8081\n  nodeSelector: {\"-zone\": a, tier: \"edge gateways\", \"Bad_Prefix/x\": b}\n"))
        .containsExactly(
            listenerError("spec.nodeSelector.-zone", "invalid label key '-zone': expected [prefix/]name: a name of 1 to 63"
                + " letters, digits, '-', '_' and '.', starting and ending with a letter or digit, after an optional lower-case"
                + " DNS subdomain prefix (such as zone or sluice.io/zone)"),
            listenerError("spec.nodeSelector.tier", "invalid label value 'edge gateways': expected at most 63 letters, digits,"
                + " '-', '_' and '.', starting and ending with a letter or digit (or empty)"),
            listenerError("spec.nodeSelector.Bad_Prefix/x", "invalid label key 'Bad_Prefix/x': the prefix 'Bad_Prefix' is not a"
                + " DNS subdomain; expected [prefix/]name: a name of 1 to 63 letters, digits, '-', '_' and '.', starting and"
                + " ending with a letter or digit, after an optional lower-case DNS subdomain prefix (such as zone or sluice.io/zone)"));
  }
}
