package io.sluice.proxy.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.validate.PathPolicy;
import io.sluice.proxy.observability.SpanReceivers.ReceivedSpan;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TracingTest {
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String CLIENT_SPAN = "00f067aa0ba902b7";

  static String config(int port, String backend, String tracing, String extraListener) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
          tracing:
        %s
        %s
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: %s}]
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: api}
        spec:
          match: {path: {prefix: /api}}
          upstream: backend
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: traced}
        spec:
          match: {path: {template: "/traced/{id}"}}
          upstream: backend
          tracing: {samplingRatio: 1}
        """.formatted(port, tracing.indent(4).stripTrailing(), extraListener.indent(2).stripTrailing(), backend);
  }

  private static List<ReceivedSpan> ofTrace(List<ReceivedSpan> spans, String traceId) {
    return spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
  }

  @Test
  void serverAndClientSpansAreLinkedAndTheUpstreamGetsTheClientSpanAsParent(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("access.log");
    try (SpanReceivers.Otlp otlp = new SpanReceivers.Otlp();
        TestUpstream up = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of(), "traced"));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), """
            samplingRatio: 1
            exporter: otlp
            endpoint: %s
            serviceName: edge
            """.formatted(otlp.endpoint()), "accessLog: {format: json, fields: [path, traceId], file: {path: access.log}}"), PathPolicy.logDirectory(dir))) {
      RawHttp.Exchange ex = RawHttp.exchange(gw.port(), RawHttp.get("/api/orders?id=7",
          "traceparent: 00-" + TRACE + "-" + CLIENT_SPAN + "-01", "tracestate: vendor=x",
          "b3: " + TRACE + "-" + CLIENT_SPAN + "-1", "User-Agent: tester"));
      assertThat(ex.status()).isEqualTo(200);
      TestUpstream.Received got = up.take();
      String[] tp = got.header("traceparent").split("-");
      assertThat(tp[0]).isEqualTo("00");
      assertThat(tp[1]).isEqualTo(TRACE);
      assertThat(tp[3]).isEqualTo("01");
      assertThat(got.headerCount("traceparent")).isEqualTo(1);
      assertThat(got.header("tracestate")).isEqualTo("vendor=x");
      // The client's B3 context is the client's, not the gateway's: it is not forwarded.
      assertThat(got.header("b3")).isNull();

      await().atMost(Duration.ofSeconds(20)).until(() -> ofTrace(otlp.spans, TRACE).size() == 2);
      List<ReceivedSpan> spans = ofTrace(otlp.spans, TRACE);
      ReceivedSpan server = spans.stream().filter(s -> s.kind().equals("SERVER")).findFirst().orElseThrow();
      ReceivedSpan client = spans.stream().filter(s -> s.kind().equals("CLIENT")).findFirst().orElseThrow();
      assertThat(server.parentSpanId()).isEqualTo(CLIENT_SPAN);
      assertThat(client.parentSpanId()).isEqualTo(server.spanId());
      assertThat(tp[2]).isEqualTo(client.spanId());
      assertThat(server.serviceName()).isEqualTo("edge");
      assertThat(server.name()).isEqualTo("GET /api/*");
      assertThat(server.attributes()).containsEntry("http.request.method", "GET")
          .containsEntry("url.path", "/api/orders")
          .containsEntry("url.scheme", "http")
          .containsEntry("http.route", "/api/*")
          .containsEntry("http.response.status_code", "200")
          .containsEntry("server.address", "test.local")
          .containsEntry("client.address", "127.0.0.1")
          .containsEntry("network.protocol.version", "1.1")
          .containsEntry("user_agent.original", "tester")
          .containsEntry("sluice.listener", "main")
          .containsEntry("sluice.route", "api")
          .doesNotContainKey("error.type");
      assertThat(server.error()).isFalse();
      assertThat(client.name()).isEqualTo("GET");
      assertThat(client.attributes()).containsEntry("http.request.method", "GET")
          .containsEntry("http.response.status_code", "200")
          .containsEntry("server.address", "127.0.0.1")
          .containsEntry("server.port", Integer.toString(up.port()))
          .containsEntry("url.full", "http://" + up.address() + "/api/orders?id=7")
          .containsEntry("sluice.upstream", "backend");
      assertThat(client.error()).isFalse();

      await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log) && !Files.readAllLines(log).isEmpty());
      JsonNode line = new ObjectMapper().readTree(Files.readAllLines(log).get(0));
      assertThat(line.get("traceId").asText()).isEqualTo(TRACE);
    }
  }

  @Test
  void aSampledRequestWhoseBodyAFilterBufferedReachesTheUpstreamWithItsTraceparentAndItsBodyIntact() throws Exception {
    try (SpanReceivers.Otlp otlp = new SpanReceivers.Otlp();
        TestUpstream up = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of(), "ok"));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(),
            "samplingRatio: 1\nendpoint: " + otlp.endpoint(), "") + """
            ---
            apiVersion: sluice.io/v1
            kind: Route
            metadata: {name: read-body}
            spec:
              match: {path: {prefix: /body}}
              upstream: backend
              filters: [{kind: test-body, config: {limit: 1KiB}}]
            """)) {
      HttpResponse<String> r = gw.client().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/body"))
          .POST(HttpRequest.BodyPublishers.ofString("twelve bytes")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      TestUpstream.Received got = up.take();
      // The trace's fields go into the head, before the body the filter read (not after it).
      assertThat(got.headerCount("traceparent")).isEqualTo(1);
      assertThat(got.header("traceparent")).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
      assertThat(got.header("content-length")).isEqualTo("12");
      assertThat(got.header("x-body-length")).isEqualTo("12");
      assertThat(got.bodyText()).isEqualTo("twelve bytes");
    }
  }

  @Test
  void aRetriedAttemptIsASecondClientSpanAndErrorsMarkTheSpans() throws Exception {
    AtomicBoolean dropNext = new AtomicBoolean();
    try (SpanReceivers.Otlp otlp = new SpanReceivers.Otlp();
        TestUpstream up = TestUpstream.start("backend", (req, ex) -> {
          if (req.target().equals("/api/fail")) {
            ex.respond(503, Map.of(), "down");
          } else if (req.target().equals("/api/second") && dropNext.getAndSet(false)) {
            ex.close(); // the pooled connection dies under the request: the gateway retries once on a new one
          } else {
            ex.respond(200, Map.of(), "ok");
          }
        });
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(),
            "endpoint: " + otlp.endpoint(), ""))) {
      int port = gw.port();
      assertThat(gw.get(port, "/api/first").statusCode()).isEqualTo(200);
      dropNext.set(true);
      assertThat(gw.get(port, "/api/second").statusCode()).isEqualTo(200);
      assertThat(gw.get(port, "/api/fail").statusCode()).isEqualTo(503);

      await().atMost(Duration.ofSeconds(20)).until(() -> otlp.spans.size() == 7);
      ReceivedSpan second = otlp.spans.stream()
          .filter(s -> s.kind().equals("SERVER") && s.attributes().get("url.path").equals("/api/second")).findFirst().orElseThrow();
      List<ReceivedSpan> attempts = otlp.spans.stream()
          .filter(s -> s.kind().equals("CLIENT") && s.parentSpanId().equals(second.spanId())).toList();
      assertThat(attempts).hasSize(2);
      ReceivedSpan reset = attempts.stream().filter(s -> !s.attributes().containsKey("http.request.resend_count")).findFirst().orElseThrow();
      ReceivedSpan retry = attempts.stream().filter(s -> s.attributes().containsKey("http.request.resend_count")).findFirst().orElseThrow();
      assertThat(reset.attributes()).containsEntry("error.type", "upstream_reset").doesNotContainKey("http.response.status_code");
      assertThat(reset.error()).isTrue();
      assertThat(retry.attributes()).containsEntry("http.request.resend_count", "1").containsEntry("http.response.status_code", "200");
      assertThat(retry.error()).isFalse();
      assertThat(second.traceId()).isEqualTo(reset.traceId()).isEqualTo(retry.traceId());
      assertThat(second.error()).isFalse();

      ReceivedSpan fail = otlp.spans.stream()
          .filter(s -> s.kind().equals("SERVER") && s.attributes().get("url.path").equals("/api/fail")).findFirst().orElseThrow();
      assertThat(fail.error()).isTrue();
      assertThat(fail.attributes()).containsEntry("http.response.status_code", "503").containsEntry("error.type", "503");
      ReceivedSpan failClient = otlp.spans.stream()
          .filter(s -> s.kind().equals("CLIENT") && s.parentSpanId().equals(fail.spanId())).findFirst().orElseThrow();
      assertThat(failClient.error()).isTrue();
      assertThat(failClient.attributes()).containsEntry("http.response.status_code", "503");
      // Root spans: no parent, each request its own trace.
      assertThat(second.parentSpanId()).isEmpty();
      assertThat(fail.traceId()).isNotEqualTo(second.traceId());
    }
  }

  @Test
  void samplingFollowsIncomingFlagsAndTheRouteOverrideAndUnsampledRequestsCreateNoSpans() throws Exception {
    try (SpanReceivers.Otlp otlp = new SpanReceivers.Otlp();
        TestUpstream up = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of(), "ok"));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(),
            "samplingRatio: 0\nendpoint: " + otlp.endpoint(), ""))) {
      String unsampled = "00-" + TRACE + "-" + CLIENT_SPAN + "-00";
      RawHttp.exchange(gw.port(), RawHttp.get("/api/a", "traceparent: " + unsampled));
      assertThat(up.take().header("traceparent")).isEqualTo(unsampled);
      RawHttp.exchange(gw.port(), RawHttp.get("/api/b"));
      assertThat(up.take().header("traceparent")).isNull();
      String sampledTrace = "0af7651916cd43dd8448eb211c80319c";
      // Ratio 0, but the client's context says sampled: the parent decides.
      RawHttp.exchange(gw.port(), RawHttp.get("/api/c", "traceparent: 00-" + sampledTrace + "-b7ad6b7169203331-01"));
      assertThat(up.take().header("traceparent")).startsWith("00-" + sampledTrace + "-").endsWith("-01");
      RawHttp.exchange(gw.port(), RawHttp.get("/traced/42"));
      String traced = up.take().header("traceparent");
      assertThat(traced).isNotNull();

      await().atMost(Duration.ofSeconds(20)).until(() -> otlp.spans.size() >= 4);
      Thread.sleep(1500); // one more export interval: nothing else may arrive
      assertThat(otlp.spans).hasSize(4);
      assertThat(otlp.spans).extracting(ReceivedSpan::traceId).containsOnly(sampledTrace, traced.split("-")[1]);
      ReceivedSpan route = otlp.spans.stream().filter(s -> s.kind().equals("SERVER") && s.traceId().equals(traced.split("-")[1]))
          .findFirst().orElseThrow();
      assertThat(route.name()).isEqualTo("GET /traced/{id}");
      assertThat(route.attributes()).containsEntry("http.route", "/traced/{id}").containsEntry("sluice.route", "traced");
    }
  }

  @Test
  void zipkinExportWithB3Propagation() throws Exception {
    try (SpanReceivers.Zipkin zipkin = new SpanReceivers.Zipkin();
        TestUpstream up = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of(), "ok"));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), """
            exporter: zipkin
            endpoint: %s
            propagation: [b3, b3multi]
            """.formatted(zipkin.endpoint()), ""))) {
      RawHttp.exchange(gw.port(), RawHttp.get("/api/z", "X-B3-TraceId: " + TRACE, "X-B3-SpanId: " + CLIENT_SPAN,
          "X-B3-Sampled: 1"));
      TestUpstream.Received got = up.take();
      assertThat(got.header("traceparent")).isNull();
      String[] b3 = got.header("b3").split("-");
      assertThat(b3[0]).isEqualTo(TRACE);
      assertThat(b3[2]).isEqualTo("1");
      assertThat(got.header("x-b3-traceid")).isEqualTo(TRACE);
      assertThat(got.header("x-b3-spanid")).isEqualTo(b3[1]);
      assertThat(got.headerCount("x-b3-traceid")).isEqualTo(1);

      await().atMost(Duration.ofSeconds(20)).until(() -> ofTrace(zipkin.spans, TRACE).size() == 2);
      List<ReceivedSpan> spans = ofTrace(zipkin.spans, TRACE);
      ReceivedSpan server = spans.stream().filter(s -> s.kind().equals("SERVER")).findFirst().orElseThrow();
      ReceivedSpan client = spans.stream().filter(s -> s.kind().equals("CLIENT")).findFirst().orElseThrow();
      assertThat(server.parentSpanId()).isEqualTo(CLIENT_SPAN);
      assertThat(client.parentSpanId()).isEqualTo(server.spanId());
      assertThat(b3[1]).isEqualTo(client.spanId());
      assertThat(server.serviceName()).isEqualTo("sluice");
      assertThat(server.attributes()).containsEntry("http.response.status_code", "200").containsEntry("http.request.method", "GET");
    }
  }
}
