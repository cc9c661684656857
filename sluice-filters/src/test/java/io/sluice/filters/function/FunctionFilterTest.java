package io.sluice.filters.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.ConfigException;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The {@code function} filter and the {@code Function} kind through the real proxy, with real function upstreams. */
class FunctionFilterTest {
  /**
   * The route's upstream {@code backend} at {@code backend}, an Upstream {@code fn-up} at
   * {@code fn} with {@code upstreamExtra} (indented spec lines), a Function {@code fn} with
   * {@code functionSpec}, and a route using the filter with {@code filterConfig}.
   */
  private static GatewayFixture gateway(TestUpstream backend, TestUpstream fn, String upstreamExtra, String functionSpec,
      String filterConfig) throws Exception {
    return Gateways.start(backend.address(), """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: fn-up}
        spec:
          endpoints: [{address: "%s"}]
        %s
        ---
        apiVersion: sluice.io/v1
        kind: Function
        metadata: {name: fn}
        spec: {upstream: fn-up%s}
        ---
        """.formatted(fn.address(), upstreamExtra.stripTrailing(), functionSpec) + Gateways.route("r", """
        filters:
          - kind: function
            config: {function: fn%s}
        """.formatted(filterConfig)));
  }

  private static RawConnection.Response post(GatewayFixture gw, String target, String body, String... headers) throws IOException {
    try (RawConnection c = RawConnection.open(gw.port())) {
      StringBuilder req = new StringBuilder("POST " + target + " HTTP/1.1\r\nHost: test.local\r\nContent-Type: text/plain\r\n");
      for (String h : headers) req.append(h).append("\r\n");
      c.send(req.append("Content-Length: ").append(body.length()).append("\r\n\r\n").append(body).toString());
      return c.readResponse();
    }
  }

  private static String error(int status, String reason, String message) {
    return "{\"status\":" + status + ",\"reason\":\"" + reason + "\",\"message\":\"" + message + "\"}\n";
  }

  private static TestUpstream sleeping(long millis) throws IOException {
    return TestUpstream.start("slow", (req, ex) -> {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  @Test
  void functionsAnswerIsTheRoutesResponse() throws Exception {
    try (TestUpstream backend = Gateways.okUpstream();
        TestUpstream fn = TestUpstream.start("fn", (req, ex) -> ex.respond(201, Map.of("X-Fn", "yes", "Content-Type", "text/plain"),
            "fn saw " + req.method() + " " + req.target() + " " + req.bodyText()));
        GatewayFixture gw = gateway(backend, fn, "", "", "")) {
      RawConnection.Response r = post(gw, "/orders?x=1", "hello");
      assertThat(r.status()).isEqualTo(201);
      assertThat(r.header("x-fn")).isEqualTo("yes");
      assertThat(r.header("content-type")).isEqualTo("text/plain");
      assertThat(r.body()).isEqualTo("fn saw POST /orders?x=1 hello");
      TestUpstream.Received got = fn.take();
      assertThat(got.header("Content-Type")).isEqualTo("text/plain");
      assertThat(got.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
      assertThat(got.header("X-Forwarded-Host")).isEqualTo("test.local");
      assertThat(got.header("Host")).isEqualTo(fn.address());
      assertThat(backend.received()).isEmpty();
    }
  }

  @Test
  void eventModeSendsACloudEventsEnvelopeToTheFunctionsPathAndMethod() throws Exception {
    try (TestUpstream backend = Gateways.okUpstream();
        TestUpstream fn = TestUpstream.start("fn", (req, ex) -> ex.respond(200, Map.of("Content-Type", "application/json"), "{}"));
        GatewayFixture gw = gateway(backend, fn, "", ", path: /invoke, method: PUT", ", mode: event")) {
      RawConnection.Response r = post(gw, "/orders?x=1", "hello", "X-Request-Id: req-1");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("{}");
      TestUpstream.Received got = fn.take();
      assertThat(got.method()).isEqualTo("PUT");
      assertThat(got.target()).isEqualTo("/invoke");
      assertThat(got.header("Content-Type")).isEqualTo("application/cloudevents+json; charset=utf-8");
      JsonNode e = new ObjectMapper().readTree(got.body());
      assertThat(e.get("specversion").asText()).isEqualTo("1.0");
      assertThat(e.get("id").asText()).isEqualTo("req-1");
      assertThat(e.get("source").asText()).isEqualTo("/sluice/routes/r");
      assertThat(e.get("type").asText()).isEqualTo("io.sluice.http.request");
      assertThat(e.get("datacontenttype").asText()).isEqualTo("application/json");
      assertThat(e.get("time").asText()).isNotEmpty();
      JsonNode d = e.get("data");
      assertThat(d.get("method").asText()).isEqualTo("POST");
      assertThat(d.get("path").asText()).isEqualTo("/orders");
      assertThat(d.get("query").asText()).isEqualTo("x=1");
      assertThat(d.get("authority").asText()).isEqualTo("test.local");
      assertThat(d.get("scheme").asText()).isEqualTo("http");
      assertThat(d.get("clientIp").asText()).isEqualTo("127.0.0.1");
      assertThat(d.get("headers").get("content-type").toString()).isEqualTo("[\"text/plain\"]");
      assertThat(d.get("body").asText()).isEqualTo("hello");
    }
  }

  @Test
  void requestEditsFromTheFunctionAreAppliedBeforeTheRequestGoesOn() throws Exception {
    try (TestUpstream backend = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of("Content-Type", "text/plain"),
            "backend got " + req.method() + " " + req.target() + " " + req.bodyText()));
        TestUpstream fn = TestUpstream.start("fn", (req, ex) -> {
          if (req.target().startsWith("/deny")) {
            ex.respond(403, Map.of("Content-Type", "text/plain"), "not you");
          } else {
            ex.respond(200, Map.of("Content-Type", "application/json"), """
                {"setHeaders":{"X-User":"ada"},"removeHeaders":["X-Secret"],"path":"/v2/orders?y=2","body":"edited"}""");
          }
        });
        GatewayFixture gw = gateway(backend, fn, "", "", ", use: request-edits")) {
      RawConnection.Response r = post(gw, "/orders?x=1", "original", "X-Secret: s3cret");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("backend got POST /v2/orders?y=2 edited");
      TestUpstream.Received got = backend.take();
      assertThat(got.header("X-User")).isEqualTo("ada");
      assertThat(got.header("X-Secret")).isNull();
      assertThat(got.header("Content-Length")).isEqualTo("6");
      // The function saw the request as the client sent it.
      assertThat(fn.take().bodyText()).isEqualTo("original");

      // A non-2xx answer is the client's response: the function refused the request.
      RawConnection.Response denied = post(gw, "/deny", "x");
      assertThat(denied.status()).isEqualTo(403);
      assertThat(denied.body()).isEqualTo("not you");
      assertThat(backend.received()).isEmpty();
    }
  }

  @Test
  void answerThatIsNotRequestEditsIs502() throws Exception {
    try (TestUpstream backend = Gateways.okUpstream();
        TestUpstream fn = TestUpstream.start("fn", (req, ex) -> ex.respond(200, Map.of(), "{\"headers\":{}}"));
        GatewayFixture gw = gateway(backend, fn, "", "", ", use: request-edits")) {
      RawConnection.Response r = post(gw, "/", "x");
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.header("x-sluice-reason")).isEqualTo("function_bad_answer");
      assertThat(r.body()).isEqualTo(error(502, "function_bad_answer",
          "Function fn: unknown member 'headers' in its answer; expected setHeaders, removeHeaders, path or body"));
      assertThat(backend.received()).isEmpty();
    }
  }

  @Test
  void functionTimeoutAnswers504InTheGatewaysErrorFormatOrTheConfiguredStatus() throws Exception {
    try (TestUpstream backend = Gateways.okUpstream();
        TestUpstream fn = sleeping(3000);
        GatewayFixture gw = gateway(backend, fn, "", ", timeout: 300ms", "");
        GatewayFixture configured = gateway(backend, fn, "", ", timeout: 300ms", ", failureStatus: 503")) {
      long start = System.nanoTime();
      RawConnection.Response r = post(gw, "/", "x");
      assertThat(System.nanoTime() - start).isLessThan(2_000_000_000L);
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.header("x-sluice-reason")).isEqualTo("function_timeout");
      assertThat(r.header("content-type")).isEqualTo("application/json");
      assertThat(r.body()).isEqualTo(error(504, "function_timeout",
          "Function fn: no response from Upstream fn-up within the call's timeout of 300ms"));
      RawConnection.Response c = post(configured, "/", "x");
      assertThat(c.status()).isEqualTo(503);
      assertThat(c.header("x-sluice-reason")).isEqualTo("function_timeout");
      assertThat(backend.received()).isEmpty();
    }
  }

  @Test
  void failingFunctionOpensItsUpstreamsBreaker() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (TestUpstream backend = Gateways.okUpstream();
        TestUpstream fn = TestUpstream.start("fn", (req, ex) -> {
          calls.incrementAndGet();
          ex.respond(500, Map.of("Content-Type", "text/plain"), "broken");
        });
        GatewayFixture gw = gateway(backend, fn, """
              circuitBreaker:
                upstream: {failureRateThreshold: 50, minimumCalls: 3, slidingWindow: {type: count, size: 3}, waitInOpen: 30s, halfOpenCalls: 1}
            """, "", "")) {
      for (int i = 0; i < 3; i++) {
        RawConnection.Response r = post(gw, "/", "x");
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.body()).isEqualTo("broken");
      }
      RawConnection.Response open = post(gw, "/", "x");
      assertThat(open.status()).isEqualTo(503);
      assertThat(open.header("x-sluice-reason")).isEqualTo("function_circuit_open");
      assertThat(open.body()).isEqualTo(error(503, "function_circuit_open", "Function fn: the circuit breaker of Upstream fn-up is open"));
      assertThat(calls.get()).isEqualTo(3);
      assertThat(backend.received()).isEmpty();
    }
  }

  @Test
  void functionsAndTheFilterAreValidatedNamingTheField() throws Exception {
    try (TestUpstream backend = Gateways.okUpstream()) {
      assertThatThrownBy(() -> Gateways.start(backend.address(), """
          apiVersion: sluice.io/v1
          kind: Function
          metadata: {name: fn}
          spec: {upstream: nope, path: orders, method: "PO ST", timeout: 11m}
          ---
          """ + Gateways.route("r", """
          filters:
            - kind: function
              config: {function: missing, use: edits}
          """)).close())
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("Function/fn: spec.upstream: Upstream 'nope' does not exist")
          .hasMessageContaining("Function/fn: spec.path: expected a path starting with '/', got 'orders'")
          .hasMessageContaining("Function/fn: spec.method: expected a method such as POST, got 'PO ST'")
          .hasMessageContaining("Function/fn: spec.timeout: expected a duration above zero and at most 10m, got 11m")
          .hasMessageContaining("Route/r: spec.filters[0].config.use:");
      assertThatThrownBy(() -> Gateways.start(backend.address(), Gateways.route("r", """
          filters:
            - kind: function
              config: {function: missing}
          """)).close())
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("Route/r: spec.filters[0].config.function: Function 'missing' does not exist");
    }
  }
}
