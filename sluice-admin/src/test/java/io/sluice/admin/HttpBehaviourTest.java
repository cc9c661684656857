package io.sluice.admin;

import static io.sluice.admin.AdminFixture.upstream;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpBehaviourTest {
  @TempDir Path dir;
  AdminFixture admin;

  @BeforeEach
  void start() {
    admin = new AdminFixture(dir, List.of(), r -> RouteTestResult.noMatch(), Map.of("/metrics", new AdminEndpoint() {
      @Override
      public String get() {
        return "# TYPE sluice_up gauge\nsluice_up 1\n";
      }

      @Override
      public String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
      }
    }));
  }

  @AfterEach
  void stop() {
    admin.close();
  }

  @Test
  void wrongMethodIs405WithAllow() {
    AdminFixture.Res r = admin.send("PATCH", "/api/v1/upstreams/echo", "{}");
    assertThat(r.status()).isEqualTo(405);
    assertThat(r.header("allow")).isEqualTo("GET, PUT, DELETE");
    assertThat(r.json().get("error").asText()).isEqualTo("method_not_allowed");
    assertThat(r.json().get("message").asText()).isEqualTo("PATCH is not allowed on /api/v1/upstreams/echo; allowed: GET, PUT, DELETE");
    AdminFixture.Res apply = admin.get("/api/v1/apply");
    assertThat(apply.status()).as("a literal path is not taken for a kind").isEqualTo(405);
    assertThat(apply.header("allow")).isEqualTo("POST");
    assertThat(admin.post("/api/v1/status", "{}").header("allow")).isEqualTo("GET");
    assertThat(admin.delete("/metrics").header("allow")).isEqualTo("GET");
  }

  @Test
  void unknownPathsAre404() {
    for (String path : List.of("/", "/api", "/api/v2/routes", "/api/v1/routes/a/b/c", "/api/v1/routes/", "/metrics/x")) {
      AdminFixture.Res r = admin.get(path);
      assertThat(r.status()).as(path).isEqualTo(404);
      assertThat(r.json().get("error").asText()).isEqualTo("not_found");
    }
    assertThat(admin.get("/api/v2/routes").json().get("message").asText()).isEqualTo("no such path: /api/v2/routes");
  }

  @Test
  void mountedEndpointAnswersGetWithItsContentType() {
    AdminFixture.Res r = admin.get("/metrics");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("content-type")).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
    assertThat(r.body()).isEqualTo("# TYPE sluice_up gauge\nsluice_up 1\n");
  }

  @Test
  void statsServesTheSuppliedObjectAsJsonOrYaml() {
    AdminFixture.Res json = admin.get("/api/v1/stats");
    assertThat(json.status()).isEqualTo(200);
    assertThat(json.header("content-type")).isEqualTo("application/json");
    assertThat(json.body()).isEqualTo("{\"time\":\"2025-01-02T03:04:06.000Z\",\"routes\":[{\"name\":\"api\",\"requests\":5,\"p99\":1.5}]}");
    AdminFixture.Res yaml = admin.get("/api/v1/stats?output=yaml");
    assertThat(yaml.status()).isEqualTo(200);
    assertThat(yaml.header("content-type")).isEqualTo("application/yaml; charset=utf-8");
    assertThat(yaml.body()).isEqualTo("""
        time: 2025-01-02T03:04:06.000Z
        routes:
          - name: api
            requests: 5
            p99: 1.5
        """);
    assertThat(admin.send("POST", "/api/v1/stats", "{}").status()).isEqualTo(405);
  }

  @Test
  void oversizedBodyIs413AndTheConnectionStaysUsable() throws IOException {
    try (Socket s = new Socket("127.0.0.1", admin.base.getPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST /api/v1/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
          + (AdminServer.MAX_BODY_BYTES + 1) + "\r\nExpect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String first = readResponse(s.getInputStream());
      assertThat(first).startsWith("HTTP/1.1 413 Request Entity Too Large\r\n");
      assertThat(first).contains("content-type: application/json\r\n");
      assertThat(first).endsWith("{\"error\":\"too_large\",\"message\":\"the request body is larger than 16777216 bytes\",\"details\":[]}");
      out.write("GET /api/v1/objects HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(readResponse(s.getInputStream())).startsWith("HTTP/1.1 200 OK\r\n").endsWith("{\"revision\":0,\"items\":[]}");
    }
    assertThat(admin.store.revision()).isZero();
  }

  @Test
  void oversizedChunkedBodyIs413AndNothingIsApplied() throws IOException {
    try (Socket s = new Socket("127.0.0.1", admin.base.getPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write("POST /api/v1/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] chunk = new byte[1024 * 1024];
      java.util.Arrays.fill(chunk, (byte) ' ');
      for (int i = 0; i < 17; i++) {
        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(chunk);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = readResponse(s.getInputStream());
      assertThat(response).startsWith("HTTP/1.1 413 ");
      assertThat(response).contains("\"error\":\"too_large\"");
    }
    assertThat(admin.store.revision()).isZero();
  }

  @Test
  void malformedRequestLineIs400AndCloses() throws IOException {
    try (Socket s = new Socket("127.0.0.1", admin.base.getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write("GET /api/v1/objects HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      String response = readResponse(s.getInputStream());
      assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n");
      assertThat(response).contains("connection: close\r\n");
      assertThat(response).contains("\"error\":\"bad_request\"");
      assertThat(s.getInputStream().read()).as("closed after a framing error").isEqualTo(-1);
    }
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws IOException {
    admin.apply(upstream("echo", "127.0.0.1:9001"));
    String body = upstream("echo", "127.0.0.1:9002");
    StringBuilder requests = new StringBuilder();
    requests.append("POST /api/v1/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\nContent-Length: ")
        .append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n\r\n").append(body);
    for (int i = 0; i < 10; i++) requests.append("GET /api/v1/upstreams/echo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    requests.append("GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    try (Socket s = new Socket("127.0.0.1", admin.base.getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(requests.toString().getBytes(StandardCharsets.UTF_8));
      InputStream in = s.getInputStream();
      assertThat(readResponse(in)).contains("\"revision\":2,\"dryRun\":false");
      for (int i = 0; i < 10; i++) {
        assertThat(readResponse(in)).as("response " + i).startsWith("HTTP/1.1 200 OK").contains("127.0.0.1:9002");
      }
      String last = readResponse(in);
      assertThat(last).contains("connection: close\r\n").contains("\"nodeId\":\"node-1\"");
      assertThat(in.read()).isEqualTo(-1);
    }
  }

  @Test
  void requestsPipelinedAfterConnectionCloseAreNotHandled() throws IOException {
    String body = upstream("echo", "127.0.0.1:9001");
    String requests = "GET /api/v1/objects HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        + "POST /api/v1/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\nContent-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    try (Socket s = new Socket("127.0.0.1", admin.base.getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(requests.getBytes(StandardCharsets.UTF_8));
      InputStream in = s.getInputStream();
      assertThat(readResponse(in)).startsWith("HTTP/1.1 200 OK").contains("connection: close\r\n");
      assertThat(in.read()).isEqualTo(-1);
    }
    // Had the apply been queued, it would run right after the first answer: watch for a while.
    org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(500)).atMost(java.time.Duration.ofSeconds(5))
        .until(() -> admin.store.revision() == 0);
  }

  @Test
  void routeTestPassesTheRequestToTheTesterAndWritesItsAnswer(@TempDir Path other) {
    RouteTester tester = r -> {
      if (r.listener() != null && !r.listener().equals("public")) throw new IllegalArgumentException("no listener named '" + r.listener() + "'");
      if (!r.url().getPath().startsWith("/orders")) return RouteTestResult.noMatch();
      boolean canary = r.headers().contains(new RouteTestRequest.Header("x-canary", "1"));
      return new RouteTestResult(true, "public", canary ? "orders-canary" : "orders", "orders-v1", List.of("auth", "rate-limit"),
          r.url().getRawPath().substring("/orders".length()) + "?" + r.url().getRawQuery(), r.method() + ":" + r.url().getHost());
    };
    try (AdminFixture a = new AdminFixture(other, List.of(), tester, Map.of())) {
      AdminFixture.Res m = a.post("/api/v1/route-test",
          "{\"method\":\"POST\",\"url\":\"http://api.example.com/orders/1?x=1\",\"headers\":[[\"x-canary\",\"1\"]],\"listener\":\"public\"}");
      assertThat(m.status()).as(m.body()).isEqualTo(200);
      assertThat(m.body()).isEqualTo("{\"matched\":true,\"listener\":\"public\",\"route\":\"orders-canary\",\"upstream\":\"orders-v1\","
          + "\"filters\":[\"auth\",\"rate-limit\"],\"path\":\"/1?x=1\",\"host\":\"POST:api.example.com\"}");
      AdminFixture.Res none = a.post("/api/v1/route-test", "{\"url\":\"https://api.example.com/other\"}");
      assertThat(none.body()).isEqualTo("{\"matched\":false,\"listener\":null,\"route\":null,\"upstream\":null,\"filters\":null,\"path\":null,\"host\":null,"
          + "\"reason\":null}");
      AdminFixture.Res yaml = a.post("/api/v1/route-test?output=yaml", "url: http://h/orders/2?y\n", "Content-Type", "application/yaml");
      assertThat(yaml.body()).contains("route: orders\n").contains("path: /2?y\n");

      AdminFixture.Res listener = a.post("/api/v1/route-test", "{\"url\":\"http://h/\",\"listener\":\"nope\"}");
      assertThat(listener.status()).isEqualTo(400);
      assertThat(listener.json().get("message").asText()).isEqualTo("no listener named 'nope'");
      AdminFixture.Res relative = a.post("/api/v1/route-test", "{\"url\":\"/orders\"}");
      assertThat(relative.status()).isEqualTo(400);
      assertThat(relative.json().get("message").asText()).isEqualTo("url must be an absolute http:// or https:// URL with a host, got '/orders'");
      AdminFixture.Res headers = a.post("/api/v1/route-test", "{\"url\":\"http://h/\",\"headers\":[[\"x\"]]}");
      assertThat(headers.json().get("message").asText()).isEqualTo("headers[0] must be a [name, value] pair of strings with a valid header name");
      AdminFixture.Res unknown = a.post("/api/v1/route-test", "{\"url\":\"http://h/\",\"verb\":\"GET\"}");
      assertThat(unknown.json().get("message").asText()).isEqualTo("unknown field 'verb' (known fields: headers, listener, method, url)");
      AdminFixture.Res broken = a.post("/api/v1/route-test", "{\"url\":");
      assertThat(broken.status()).isEqualTo(400);
      assertThat(broken.json().get("message").asText()).startsWith("the request body is not valid JSON");
    }
  }

  /** Reads one response (head and a Content-Length body) and returns it as text. */
  static String readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) throw new IOException("connection closed in a response head: " + head);
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String h = head.toString(StandardCharsets.US_ASCII);
    int length = 0;
    for (String line : h.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) length = Integer.parseInt(line.substring(15).strip());
    }
    byte[] body = in.readNBytes(length);
    return h + new String(body, StandardCharsets.UTF_8);
  }
}
