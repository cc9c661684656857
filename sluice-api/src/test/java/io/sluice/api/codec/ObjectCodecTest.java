package io.sluice.api.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.sluice.api.ByteSize;
import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectMeta;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.api.route.DirectResponse;
import io.sluice.api.route.KeyMatch;
import io.sluice.api.route.PathMatch;
import io.sluice.api.route.Rewrite;
import io.sluice.api.route.RouteMatch;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.upstream.LoadBalancer;
import io.sluice.api.upstream.UpstreamSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ObjectCodecTest {
  private static final String UPSTREAM = """
      apiVersion: sluice.io/v1
      kind: Upstream
      metadata: {name: orders}
      spec:
      """;
  private static final String LISTENER = """
      apiVersion: sluice.io/v1
      kind: Listener
      metadata: {name: public}
      spec:
        address: 127.0.0.1:8080
      """;

  private static List<ConfigError> yamlErrors(String text) {
    try {
      List<ConfigObject<?>> objects = ObjectCodec.readYaml("objects.yaml", text);
      throw new AssertionError("expected a ConfigException, read " + objects);
    } catch (ConfigException e) {
      return e.errors();
    }
  }

  private static ConfigObject<?> readOne(String text) throws ConfigException {
    List<ConfigObject<?>> objects = ObjectCodec.readYaml("objects.yaml", text);
    assertThat(objects).hasSize(1);
    return objects.get(0);
  }

  @Test
  void readsAnObjectWithItsSourceLineAndDefaults() throws ConfigException {
    ConfigObject<?> o = readOne("""
        # a comment first
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: orders, labels: {team: shop}}
        spec:
          endpoints: [{address: 10.0.0.1:8080, weight: 3}]
          timeouts: {connect: 250ms}
        """);

    assertThat(o.source()).isEqualTo("objects.yaml:2");
    assertThat(o.ref()).isEqualTo("Upstream/orders");
    assertThat(o.metadata()).isEqualTo(new ObjectMeta("orders", Map.of("team", "shop"), Map.of()));
    assertThat(o.spec()).isEqualTo(new UpstreamSpec(
        List.of(new UpstreamSpec.Endpoint("10.0.0.1:8080", 3)), LoadBalancer.DEFAULT,
        new UpstreamSpec.Timeouts(Duration.ofMillis(250), null), UpstreamSpec.Pool.DEFAULT));
  }

  @Test
  void refusesUnknownFieldListingTheKnownFields() {
    assertThat(yamlErrors(UPSTREAM + """
          endpoints: [{address: 10.0.0.1:8080, wieght: 3}]
        """)).containsExactly(new ConfigError("objects.yaml:5", "Upstream/orders", "spec.endpoints[0].wieght",
        "unknown field 'wieght' (known fields: address, weight)"));
  }

  @Test
  void reportsEveryUnknownFieldOfADocumentOnItsLine() {
    assertThat(yamlErrors("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: public, namespace: default}
        spec:
          address: 127.0.0.1:8080
          limits:
            maxHeaders: 10
          timeout: 5s
        status: {}
        """)).containsExactly(
        new ConfigError("objects.yaml:3", "Listener/public", "metadata.namespace",
            "unknown field 'namespace' (known fields: annotations, labels, name, revision)"),
        new ConfigError("objects.yaml:7", "Listener/public", "spec.limits.maxHeaders",
            "unknown field 'maxHeaders' (known fields: maxBodySize, maxConnections, maxHeaderCount, maxHeaderSize, maxUriLength, requestBuffer)"),
        new ConfigError("objects.yaml:8", "Listener/public", "spec.timeout",
            "unknown field 'timeout' (known fields: accessLog, address, http2, limits, nodeSelector, protocols, timeouts, tls, tracing)"),
        new ConfigError("objects.yaml:9", "Listener/public", "status",
            "unknown field 'status' (known fields: apiVersion, kind, metadata, spec)"));
  }

  @Test
  void reportsEveryProblemOfADocumentInLineOrder() {
    assertThat(yamlErrors("""
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: hello}
        spec:
          priority: high
          hosts: [example.com, null]
          match:
            methods: GET
            headers: [{name: x-a, exact: "1", regexp: "a"}]
          directResponse: {status: "200", echo: yes}
        """)).containsExactly(
        new ConfigError("objects.yaml:5", "Route/hello", "spec.priority", "expected an integer, got a string 'high'"),
        new ConfigError("objects.yaml:6", "Route/hello", "spec.hosts[1]", "expected a string, got null"),
        new ConfigError("objects.yaml:8", "Route/hello", "spec.match.methods", "expected a list, got a string 'GET'"),
        new ConfigError("objects.yaml:9", "Route/hello", "spec.match.headers[0].regexp",
            "unknown field 'regexp' (known fields: absent, exact, name, present, regex)"),
        new ConfigError("objects.yaml:10", "Route/hello", "spec.directResponse.status",
            "expected an integer, got a string '200'"),
        new ConfigError("objects.yaml:10", "Route/hello", "spec.directResponse.echo",
            "expected true or false, got a string 'yes'"));
  }

  @Test
  void refusesAStringWhereAnIntegerIsExpected() {
    assertThat(yamlErrors(LISTENER + """
          limits: {maxUriLength: abc}
        """)).containsExactly(new ConfigError("objects.yaml:6", "Listener/public", "spec.limits.maxUriLength",
        "expected an integer, got a string 'abc'"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "\"8192\"    | expected an integer, got a string '8192'",
      "81.5        | expected an integer, got a number 81.5",
      "true        | expected an integer, got a boolean true",
      "[1]         | expected an integer, got a list",
      "99999999999 | expected an integer from -2147483648 to 2147483647, got a number 99999999999",
  })
  void refusesAnIntegerFieldThatIsNotExactlyAnInteger(String value, String message) {
    assertThat(yamlErrors(LISTENER + "  limits: {maxUriLength: " + value + "}\n"))
        .containsExactly(new ConfigError("objects.yaml:6", "Listener/public", "spec.limits.maxUriLength", message));
  }

  @Test
  void refusesADurationWithoutUnitSayingToWriteOne() {
    assertThat(yamlErrors(LISTENER + """
          timeouts: {idle: 5}
        """)).containsExactly(new ConfigError("objects.yaml:6", "Listener/public", "spec.timeouts.idle",
        "expected a duration such as 250ms, 5s or 1m, got '5' (a number needs a unit)"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "5 secs | expected a duration such as 250ms, 5s or 1m, got '5 secs'",
      "PT5X   | expected a duration such as 250ms, 5s or 1m, got 'PT5X'",
      "{s: 5} | expected a duration such as 250ms, 5s or 1m, got an object",
  })
  void refusesAMalformedDuration(String value, String message) {
    assertThat(yamlErrors(LISTENER + "  timeouts: {headerRead: " + value + "}\n"))
        .containsExactly(new ConfigError("objects.yaml:6", "Listener/public", "spec.timeouts.headerRead", message));
  }

  @ParameterizedTest
  @CsvSource({"250ms, PT0.25S", "5s, PT5S", "1m, PT1M", "2h, PT2H", "1m30s, PT1M30S", "PT5S, PT5S", "1d, PT24H"})
  void readsDurationsWithAUnitOrInIso8601(String text, String iso) throws ConfigException {
    ConfigObject<?> o = readOne(LISTENER + "  timeouts: {drain: " + text + "}\n");

    assertThat(((ListenerSpec) o.spec()).timeouts().drain()).isEqualTo(Duration.parse(iso));
  }

  @Test
  void refusesASizeThatIsNotOne() {
    assertThat(yamlErrors(LISTENER + """
          limits: {maxBodySize: 10 megs}
        """)).containsExactly(new ConfigError("objects.yaml:6", "Listener/public", "spec.limits.maxBodySize",
        "expected a size such as 512, 16KiB or 10MiB, got '10 megs'"));
  }

  @Test
  void refusesNullAsAListElementOrMapValue() {
    assertThat(yamlErrors("""
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: hello}
        spec:
          hosts:
            - example.com
            - null
          directResponse: {}
        """)).containsExactly(new ConfigError("objects.yaml:7", "Route/hello", "spec.hosts[1]",
        "expected a string, got null"));
    assertThat(yamlErrors("""
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: hello}
        spec:
          directResponse: {headers: {x-a: null}}
        """)).containsExactly(new ConfigError("objects.yaml:5", "Route/hello", "spec.directResponse.headers.x-a",
        "expected a string, got null"));
  }

  @Test
  void treatsAFieldWrittenAsNullAsLeftOut() throws ConfigException {
    ConfigObject<?> o = readOne(LISTENER + """
          limits:
          timeouts: {idle: null}
        """);

    assertThat(o.spec()).isEqualTo(new ListenerSpec("127.0.0.1:8080", null, null));
  }

  @Test
  void readsYesAndNoAsStringsNotBooleans() throws ConfigException {
    ConfigObject<?> o = readOne("""
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: hello}
        spec:
          match: {headers: [{name: x-opt-in, exact: no}]}
          directResponse: {body: yes}
        """);

    RouteSpec spec = (RouteSpec) o.spec();
    assertThat(spec.match().headers().get(0).exact()).isEqualTo("no");
    assertThat(spec.directResponse().body()).isEqualTo("yes");
  }

  @Test
  void refusesAMissingSpec() {
    assertThat(yamlErrors("""
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: hello}
        """)).containsExactly(new ConfigError("objects.yaml:1", "Route/hello", "spec",
        "missing; expected an object with the Route settings"));
  }

  @Test
  void refusesAWrongApiVersion() {
    assertThat(yamlErrors("""
        apiVersion: sluice.io/v2
        kind: Listener
        metadata: {name: public}
        spec: {address: 127.0.0.1:8080}
        """)).containsExactly(new ConfigError("objects.yaml:1", "Listener/public", "apiVersion",
        "expected 'sluice.io/v1', got 'sluice.io/v2'"));
  }

  @Test
  void refusesAnObjectWithoutApiVersionKindAndNameCallingItByItsDocumentNumber() {
    assertThat(yamlErrors("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: public}
        spec: {address: 127.0.0.1:8080}
        ---
        metadata: {labels: {team: shop}}
        spec: {}
        """)).containsExactly(
        new ConfigError("objects.yaml:6", "document 2", "apiVersion", "missing; expected 'sluice.io/v1'"),
        new ConfigError("objects.yaml:6", "document 2", "kind", "missing; expected one of Consumer, Function, GlobalFilter, Listener, Pipeline, Plugin, Route, Secret, Upstream, Webhook"),
        new ConfigError("objects.yaml:6", "document 2", "metadata.name", "missing; every object needs a name"));
  }

  @Test
  void refusesAnUnknownKindListingTheKinds() {
    assertThat(yamlErrors("""
        apiVersion: sluice.io/v1
        kind: route
        metadata: {name: hello}
        spec: {}
        """)).containsExactly(new ConfigError("objects.yaml:2", "?/hello", "kind",
        "expected one of Consumer, Function, GlobalFilter, Listener, Pipeline, Plugin, Route, Secret, Upstream, Webhook, got 'route'"));
  }

  @Test
  void refusesADocumentThatIsNotAnObject() {
    assertThat(yamlErrors("just a string\n")).containsExactly(new ConfigError("objects.yaml:1", "document 1", "",
        "expected an object with apiVersion, kind, metadata and spec, got a string 'just a string'"));
  }

  @Test
  void refusesAKeyWrittenTwiceNamingBothLines() {
    assertThat(yamlErrors(UPSTREAM + """
          endpoints: [{address: 10.0.0.1:8080}]
          endpoints: [{address: 10.0.0.2:8080}]
        """)).containsExactly(new ConfigError("objects.yaml:6", "Upstream/orders", "spec.endpoints",
        "duplicate field 'endpoints' (first written on line 5)"));
  }

  @Test
  void namesTheLineOfAYamlSyntaxErrorAndKeepsTheErrorsBeforeIt() {
    assertThat(yamlErrors("""
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: orders}
        spec: {endpoints: [], foo: 1}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: billing}
        spec:
          endpoints: [{address: 10.0.0.1:8080}
          pool: {}
        """)).containsExactly(
        new ConfigError("objects.yaml:4", "Upstream/orders", "spec.foo",
            "unknown field 'foo' (known fields: circuitBreaker, endpoints, healthCheck, http2, loadBalancer, outlierDetection, pool, protocol, retries, timeouts, tls)"),
        new ConfigError("objects.yaml:11", "document 2", "",
            "not valid YAML: expected ',' or ']', but got <scalar> (while parsing a flow sequence started on line 10)"));
  }

  @Test
  void collectsTheErrorsOfEveryDocumentAndSkipsEmptyOnes() {
    assertThat(yamlErrors("""
        ---
        # nothing but a comment
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: orders}
        spec:
          pool: {maxConnectionsPerEndpoint: many}
        ---
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: hello}
        spec:
          priority: high
        """)).containsExactly(
        new ConfigError("objects.yaml:8", "Upstream/orders", "spec.pool.maxConnectionsPerEndpoint",
            "expected an integer, got a string 'many'"),
        new ConfigError("objects.yaml:15", "Route/hello", "spec.priority", "expected an integer, got a string 'high'"));
  }

  @Test
  void readsEveryDocumentOfAMultiDocumentText() throws ConfigException {
    List<ConfigObject<?>> objects = ObjectCodec.readYaml("all.yaml", UPSTREAM + """
          endpoints: [{address: 10.0.0.1:8080}]
        ---

        ---
        """ + LISTENER);

    assertThat(objects).extracting(ConfigObject::ref, ConfigObject::source)
        .containsExactly(tuple("Upstream/orders", "all.yaml:1"), tuple("Listener/public", "all.yaml:9"));
  }

  @Test
  void readsJsonObjectsAndArraysOfThem() throws ConfigException {
    List<ConfigObject<?>> objects = ObjectCodec.readJson("objects.json", """
        [
          {"apiVersion": "sluice.io/v1", "kind": "Upstream", "metadata": {"name": "orders"},
           "spec": {"endpoints": [{"address": "10.0.0.1:8080"}], "timeouts": {"response": "30s"}}},
          {"apiVersion": "sluice.io/v1", "kind": "Listener", "metadata": {"name": "public"},
           "spec": {"address": "127.0.0.1:8080"}}
        ]
        """);

    assertThat(objects).extracting(ConfigObject::ref, ConfigObject::source)
        .containsExactly(tuple("Upstream/orders", "objects.json:2"), tuple("Listener/public", "objects.json:4"));
  }

  @Test
  void readsTheListAListGetAnswersWithEachElementsLine() throws ConfigException {
    List<ConfigObject<?>> objects = ObjectCodec.readJson("export.json", """
        {"revision": 7, "items": [
          {"apiVersion": "sluice.io/v1", "kind": "Upstream", "metadata": {"name": "orders", "revision": 3},
           "spec": {"endpoints": [{"address": "10.0.0.1:8080"}]}},
          {"apiVersion": "sluice.io/v1", "kind": "Listener", "metadata": {"name": "public"},
           "spec": {"address": "127.0.0.1:8080"}}
        ]}
        """);

    assertThat(objects).extracting(ConfigObject::ref, ConfigObject::source)
        .containsExactly(tuple("Upstream/orders", "export.json:2"), tuple("Listener/public", "export.json:4"));
    assertThat(objects.getFirst().metadata().revision()).isEqualTo(3);
  }

  @Test
  void readsAYamlListAndNamesTheLineOfAnErrorInAnElement() {
    assertThat(yamlErrors("""
        - apiVersion: sluice.io/v1
          kind: Listener
          metadata: {name: public}
          spec: {address: 127.0.0.1:8080}
        - apiVersion: sluice.io/v1
          kind: Listener
          metadata: {name: admin}
          spec:
            address: 127.0.0.1:8081
            limits: {maxConnections: lots}
        """)).containsExactly(new ConfigError("objects.yaml:10", "Listener/admin", "spec.limits.maxConnections",
        "expected an integer, got a string 'lots'"));
    assertThat(yamlErrors("""
        items:
          - apiVersion: sluice.io/v1
            kind: Listener
            metadata: {name: public, owner: me}
            spec: {address: 127.0.0.1:8080}
        """)).containsExactly(new ConfigError("objects.yaml:4", "Listener/public", "metadata.owner",
        "unknown field 'owner' (known fields: annotations, labels, name, revision)"));
  }

  @Test
  void namesTheLineOfAJsonError() {
    try {
      ObjectCodec.readJson("objects.json", """
          {"apiVersion": "sluice.io/v1", "kind": "Listener",
           "metadata": {"name": "public"},
           "spec": {"address": "127.0.0.1:8080", "limits": {"maxConnections": "lots"}}}
          """);
      throw new AssertionError("expected a ConfigException");
    } catch (ConfigException e) {
      assertThat(e.errors()).containsExactly(new ConfigError("objects.json:3", "Listener/public",
          "spec.limits.maxConnections", "expected an integer, got a string 'lots'"));
    }
  }

  @Test
  void roundTripsYamlToAnEqualObject() throws ConfigException {
    String yaml = """
        apiVersion: sluice.io/v1
        kind: Route
        metadata:
          name: orders
          labels: {team: shop, tier: "1"}
          annotations: {note: "a: b"}
        spec:
          listeners: [public]
          hosts: ["*.example.com", api.example.com]
          priority: 5
          match:
            path: {regex: '^/orders/[0-9]+(/.*)?$'}
            methods: [GET, POST]
            headers:
              - {name: x-canary, exact: "1"}
              - {name: x-empty, exact: ""}
              - {name: x-flag, exact: "true"}
              - {name: x-debug, present: true}
            query: [{name: v, regex: '\\d+'}]
          rewrite: {host: orders.internal:8443}
          upstream: orders
        """;
    ConfigObject<?> read = readOne(yaml);

    String written = ObjectCodec.toYaml(read);
    ConfigObject<?> reread = readOne(written);

    assertThat(reread).isEqualTo(read);
    assertThat(ObjectCodec.toYaml(reread)).isEqualTo(written);
  }

  @Test
  void roundTripsEveryKindThroughYamlAndJson() throws ConfigException {
    List<ConfigObject<?>> objects = List.of(
        ConfigObject.of(Kind.LISTENER, "public", new ListenerSpec("[::]:8080",
            new ListenerSpec.Limits(ByteSize.ofKiB(32), 4096, ByteSize.ofBytes(1000), 500, 50),
            new ListenerSpec.Timeouts(Duration.ofMillis(1500), Duration.ofMinutes(2), Duration.ofHours(1)))),
        ConfigObject.of(Kind.UPSTREAM, "orders", new UpstreamSpec(
            List.of(new UpstreamSpec.Endpoint("10.0.0.1:8080", 3), UpstreamSpec.Endpoint.of("[::1]:9000")),
            new LoadBalancer(LoadBalancer.Policy.RING_HASH, LoadBalancer.HashOn.HEADER, "x-user"),
            new UpstreamSpec.Timeouts(Duration.ofMillis(250), Duration.ofNanos(1_500)),
            new UpstreamSpec.Pool(8, Duration.ofDays(1)))),
        ConfigObject.of(Kind.ROUTE, "hello", new RouteSpec(List.of(), List.of("example.com"), -1,
            new RouteMatch(PathMatch.template("/users/{id}"), List.of("GET"),
                List.of(KeyMatch.absent("x-a")), List.of(KeyMatch.exact("q", "null"))),
            null, new Rewrite(null, "h"), new DirectResponse(404, "nope\n", Map.of("b", "2", "a", "1"), false))));

    for (ConfigObject<?> o : objects) {
      ConfigObject<?> fromYaml = ObjectCodec.readYaml("<inline>", ObjectCodec.toYaml(o)).get(0);
      ConfigObject<?> fromJson = ObjectCodec.readJson("<inline>", ObjectCodec.toJson(o)).get(0);
      assertThat(fromYaml).usingRecursiveComparison().ignoringFields("source", "fields").isEqualTo(o);
      assertThat(fromJson).usingRecursiveComparison().ignoringFields("source", "fields").isEqualTo(o);
    }
  }

  @Test
  void roundTripsAccessLogAndTracingSettings() throws ConfigException {
    String yaml = """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: public}
        spec:
          address: 127.0.0.1:8080
          accessLog:
            format: json
            fields: [time, status, traceId]
            file: {path: /var/log/sluice/access.log, maxSize: 10MiB, rotateEvery: 1h, keep: 3}
          tracing: {samplingRatio: 0.25, exporter: zipkin, propagation: [b3multi, w3c], serviceName: edge}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          upstream: u
          tracing: {samplingRatio: 1}
        """;
    List<ConfigObject<?>> read = ObjectCodec.readYaml("t.yaml", yaml);
    ListenerSpec l = (ListenerSpec) read.get(0).spec();
    assertThat(l.accessLog()).isEqualTo(new io.sluice.api.listener.AccessLog(true, io.sluice.api.listener.AccessLog.Format.JSON,
        List.of("time", "status", "traceId"), null, new io.sluice.api.listener.AccessLog.FileOutput(
            "/var/log/sluice/access.log", ByteSize.ofMiB(10), Duration.ofHours(1), 3)));
    assertThat(l.tracing()).isEqualTo(new io.sluice.api.listener.Tracing(0.25, io.sluice.api.listener.Tracing.Exporter.ZIPKIN,
        null, List.of(io.sluice.api.listener.Tracing.Propagation.B3_MULTI, io.sluice.api.listener.Tracing.Propagation.W3C), "edge"));
    assertThat(l.tracing().effectiveEndpoint()).isEqualTo("http://127.0.0.1:9411/api/v2/spans");
    assertThat(((RouteSpec) read.get(1).spec()).tracing().samplingRatio()).isEqualTo(1.0);
    for (ConfigObject<?> o : read) {
      assertThat(ObjectCodec.readYaml("<inline>", ObjectCodec.toYaml(o)).get(0)).usingRecursiveComparison()
          .ignoringFields("source", "fields").isEqualTo(o);
      assertThat(ObjectCodec.readJson("<inline>", ObjectCodec.toJson(o)).get(0)).usingRecursiveComparison()
          .ignoringFields("source", "fields").isEqualTo(o);
    }
  }

  @Test
  void writesDurationsAndSizesTheWayOperatorsWriteThem() {
    ConfigObject<ListenerSpec> o = ConfigObject.of(Kind.LISTENER, "public", new ListenerSpec("127.0.0.1:8080",
        new ListenerSpec.Limits(ByteSize.ofKiB(16), null, ByteSize.ofMiB(10), null, null),
        new ListenerSpec.Timeouts(Duration.ofSeconds(5), Duration.ofMillis(250), Duration.ofMinutes(1))));

    assertThat(ObjectCodec.toYaml(o)).isEqualTo("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata:
          name: public
        spec:
          address: 127.0.0.1:8080
          limits:
            maxHeaderSize: 16KiB
            maxUriLength: 8192
            maxBodySize: 10MiB
            maxConnections: 10000
            maxHeaderCount: 100
            requestBuffer: 64KiB
          timeouts:
            idle: 5s
            headerRead: 250ms
            drain: 1m
            filter: 30s
        """);
    assertThat(ObjectCodec.toJson(o)).contains("\"timeouts\":{\"idle\":\"5s\",\"headerRead\":\"250ms\",\"drain\":\"1m\",\"filter\":\"30s\"}");
  }


  @Test
  void refusesAnAliasNamingItsLineInsteadOfStoringTheAnchorName() {
    assertThat(yamlErrors("""
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          directResponse: {status: 200, body: &p pong}
          colour: {header: x-colour, value: *p}
        """)).extracting(ConfigError::toString).containsExactly(
        "objects.yaml:6: document 1: not valid YAML: alias *p: YAML anchors (&) and aliases (*) are not supported;"
            + " write the value out in full");
  }

  @Test
  void refusesTheBillionLaughsShapeAtItsFirstAnchor() {
    StringBuilder yaml = new StringBuilder("apiVersion: sluice.io/v1\nkind: Route\nmetadata: {name: r}\nspec:\n  x:\n");
    yaml.append("    a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (char c = 'b'; c <= 'j'; c++) {
      char p = (char) (c - 1);
      yaml.append("    ").append(c).append(": &").append(c).append(" [*").append(p).append(", *").append(p)
          .append(", *").append(p).append(", *").append(p).append(", *").append(p).append("]\n");
    }
    assertThat(yamlErrors(yaml.toString())).extracting(ConfigError::toString).containsExactly(
        "objects.yaml:6: document 1: not valid YAML: anchor &a: YAML anchors (&) and aliases (*) are not supported;"
            + " write the value out in full");
  }

  @Test
  void refusesAnAliasOfAnAnchorInAnotherDocument() {
    assertThat(yamlErrors("""
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: u}
        spec:
          endpoints: [{address: 10.0.0.1:80}]
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: v}
        spec:
          endpoints: *e
        """)).extracting(ConfigError::toString).containsExactly(
        "objects.yaml:11: document 2: not valid YAML: alias *e: YAML anchors (&) and aliases (*) are not supported;"
            + " write the value out in full");
  }
}
