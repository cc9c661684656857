package io.sluice.proxy.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.listener.AccessLog;
import io.sluice.api.validate.PathPolicy;
import io.sluice.proxy.accesslog.internal.AccessLogEntry;
import io.sluice.proxy.accesslog.internal.AccessLogFormat;
import io.sluice.proxy.accesslog.internal.AccessLogSink;
import io.sluice.proxy.accesslog.internal.AccessLogWriter;
import io.sluice.proxy.accesslog.internal.CompiledAccessLog;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessLogTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static String config(int port, String backend, String accessLog) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
          accessLog:
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
        metadata: {name: hello}
        spec:
          match: {path: {exact: /hello}}
          directResponse: {status: 201, body: "made"}
        """.formatted(port, accessLog.indent(4).stripTrailing(), backend);
  }

  private static List<String> lines(Path file) throws IOException {
    return Files.exists(file) ? Files.readAllLines(file) : List.of();
  }

  @Test
  void jsonLinesToAFileHaveEveryFieldOfTheExchange(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("logs/access.log");
    try (TestUpstream up = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of(), "payload"));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), """
            format: json
            file: {path: %s}
            """.formatted(dir.relativize(file))), PathPolicy.logDirectory(dir))) {
      Instant before = Instant.now().minusMillis(1);
      RawHttp.Exchange a = RawHttp.exchange(gw.port(), RawHttp.get("/api/items?page=2", "User-Agent: test \"agent\"/1.0",
          "X-Request-Id: req-123"));
      RawHttp.Exchange b = RawHttp.exchange(gw.port(), RawHttp.get("/hello"));
      RawHttp.Exchange c = RawHttp.exchange(gw.port(), RawHttp.get("/nowhere"));
      RawHttp.Exchange d = RawHttp.exchange(gw.port(), "GET /bad%zz HTTP/1.1\r\nHost: x\r\n\r\n");
      RawHttp.Exchange e = RawHttp.exchange(gw.port(), RawHttp.get("/api/generated"));
      String generatedId = up.received().stream().filter(r -> r.target().equals("/api/generated")).findFirst()
          .orElseThrow().header("x-request-id");
      await().atMost(Duration.ofSeconds(10)).until(() -> lines(file).size() == 5);
      // Each request had its own connection, maybe on another event loop: find lines by path, not position.
      Map<String, JsonNode> log = new java.util.HashMap<>();
      for (String line : lines(file)) {
        JsonNode n = JSON.readTree(line);
        log.put(n.get("path").isNull() ? "(none)" : n.get("path").asText(), n);
      }

      JsonNode first = log.get("/api/items");
      assertThat(fieldNames(first)).containsExactlyElementsOf(AccessLog.DEFAULT_FIELDS);
      Instant time = Instant.parse(first.get("time").asText());
      assertThat(first.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
      assertThat(time).isBetween(before, Instant.now());
      assertThat(first.get("listener").asText()).isEqualTo("main");
      assertThat(first.get("client").asText()).isEqualTo("127.0.0.1");
      assertThat(first.get("method").asText()).isEqualTo("GET");
      assertThat(first.get("host").asText()).isEqualTo("test.local");
      assertThat(first.get("path").asText()).isEqualTo("/api/items");
      assertThat(first.get("protocol").asText()).isEqualTo("HTTP/1.1");
      assertThat(first.get("status").asInt()).isEqualTo(200);
      assertThat(first.get("reason").isNull()).isTrue();
      assertThat(first.get("bytesIn").asLong()).isEqualTo(a.requestBytes());
      assertThat(first.get("bytesOut").asLong()).isEqualTo(a.responseBytes());
      assertThat(first.get("duration").isNumber()).isTrue();
      assertThat(first.get("upstreamDuration").asDouble()).isBetween(0.0, first.get("duration").asDouble());
      assertThat(first.get("route").asText()).isEqualTo("api");
      assertThat(first.get("upstream").asText()).isEqualTo(up.address());
      assertThat(first.get("requestId").asText()).isEqualTo("req-123");
      assertThat(first.get("traceId").isNull()).isTrue();
      assertThat(first.get("userAgent").asText()).isEqualTo("test \"agent\"/1.0");

      JsonNode direct = log.get("/hello");
      assertThat(direct.get("status").asInt()).isEqualTo(201);
      assertThat(direct.get("route").asText()).isEqualTo("hello");
      assertThat(direct.get("upstream").isNull()).isTrue();
      assertThat(direct.get("upstreamDuration").isNull()).isTrue();
      assertThat(direct.get("bytesOut").asLong()).isEqualTo(b.responseBytes());
      assertThat(direct.get("requestId").isNull()).isTrue();

      JsonNode missing = log.get("/nowhere");
      assertThat(missing.get("status").asInt()).isEqualTo(404);
      assertThat(missing.get("reason").asText()).isEqualTo("no_route");
      assertThat(missing.get("route").isNull()).isTrue();
      assertThat(missing.get("bytesOut").asLong()).isEqualTo(c.responseBytes());

      JsonNode bad = log.get("(none)");
      assertThat(bad.get("status").asInt()).isEqualTo(400);
      assertThat(bad.get("reason").asText()).isEqualTo("bad_request");
      assertThat(bad.get("client").asText()).isEqualTo("127.0.0.1");
      assertThat(bad.get("method").isNull()).isTrue();
      assertThat(bad.get("bytesOut").asLong()).isEqualTo(d.responseBytes());

      JsonNode generated = log.get("/api/generated");
      assertThat(generated.get("requestId").asText()).hasSize(32).isEqualTo(generatedId);
      assertThat(generated.get("bytesOut").asLong()).isEqualTo(e.responseBytes());
    }
  }

  private static List<String> fieldNames(JsonNode n) {
    List<String> names = new ArrayList<>();
    n.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void textLinesFollowTheTemplateAndEscapeQuotes(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("access.log");
    try (TestUpstream up = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of(), "x"));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), """
            template: '{client} "{method} {path} {protocol}" {status} {reason} {route} {upstream} ua="{userAgent}" q={query}'
            file: {path: %s}
            """.formatted(dir.relativize(file))), PathPolicy.logDirectory(dir))) {
      RawHttp.exchange(gw.port(), RawHttp.get("/api/a?x=1", "User-Agent: say \"hi\""));
      RawHttp.exchange(gw.port(), RawHttp.get("/nowhere"));
      await().atMost(Duration.ofSeconds(10)).until(() -> lines(file).size() == 2);
      assertThat(lines(file)).containsExactlyInAnyOrder(
          "127.0.0.1 \"GET /api/a HTTP/1.1\" 200 - api " + up.address() + " ua=\"say \\\"hi\\\"\" q=x=1",
          "127.0.0.1 \"GET /nowhere HTTP/1.1\" 404 no_route - - ua=\"-\" q=-");
    }
  }

  @Test
  void textLinesWithAFieldListAreSpaceSeparatedWithFreeTextQuoted(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("access.log");
    try (TestUpstream up = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of(), "x"));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), """
            fields: [method, path, status, bytesIn, userAgent, host]
            file: {path: %s}
            """.formatted(dir.relativize(file))), PathPolicy.logDirectory(dir))) {
      RawHttp.Exchange a = RawHttp.exchange(gw.port(), RawHttp.get("/api/a", "User-Agent: curl/8 (x) caf\u00e9"));
      await().atMost(Duration.ofSeconds(10)).until(() -> lines(file).size() == 1);
      // A byte beyond ASCII (obs-text, read as Latin-1) is shown escaped, as nginx does.
      assertThat(lines(file).get(0)).isEqualTo("GET /api/a 200 " + a.requestBytes() + " \"curl/8 (x) caf\\xe9\" \"test.local\"");
    }
  }

  @Test
  void rotatesBySizeKeepingTheConfiguredNumberOfFiles(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("access.log");
    try (TestUpstream up = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of(), "x"));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), """
            fields: [path, status]
            file: {path: %s, maxSize: 1KiB, keep: 2}
            """.formatted(dir.relativize(file))), PathPolicy.logDirectory(dir))) {
      // Each line is "/api/NNNN 200\n": 14 bytes, so 1 KiB holds 73 of them; 300 lines rotate 4 times.
      for (int i = 0; i < 300; i++) RawHttp.exchange(gw.port(), RawHttp.get("/api/" + (1000 + i)));
      await().atMost(Duration.ofSeconds(10)).until(() -> lines(file).contains("/api/1299 200"));
      assertThat(Files.exists(dir.resolve("access.log.1"))).isTrue();
      assertThat(Files.exists(dir.resolve("access.log.2"))).isTrue();
      assertThat(Files.exists(dir.resolve("access.log.3"))).isFalse();
      for (String name : List.of("access.log", "access.log.1", "access.log.2")) {
        assertThat(Files.size(dir.resolve(name))).as(name).isLessThanOrEqualTo(1024);
      }
      // The files hold the newest lines (.2 the oldest of them).
      List<Integer> numbers = new ArrayList<>();
      for (String name : List.of("access.log.2", "access.log.1", "access.log")) {
        for (String line : lines(dir.resolve(name))) {
          assertThat(line).matches("/api/1\\d{3} 200");
          numbers.add(Integer.parseInt(line.substring(5, 9)));
        }
      }
      // A line can land one rotation earlier than its neighbours (its exchange ended a moment later on
      // another loop), so the kept set is the newest lines give or take the few around a boundary.
      assertThat(numbers).doesNotHaveDuplicates().contains(1299);
      assertThat(numbers.size()).isGreaterThan(2 * 73);
      assertThat(numbers.stream().mapToInt(Integer::intValue).min().orElseThrow()).isGreaterThan(1300 - numbers.size() - 10);
      assertThat(Files.size(dir.resolve("access.log.1"))).isEqualTo(73 * 14);
    }
  }

  @Test
  void rotationLeavesWhatIsNotItsOwnRotatedFileAlone(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("access.log");
    // Not a rotated log: renaming the log onto it would replace it (an empty directory can be replaced).
    Path notALog = Files.createDirectory(dir.resolve("access.log.1"));
    try (TestUpstream up = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of(), "x"));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), """
            fields: [path, status]
            file: {path: access.log, maxSize: 1KiB, keep: 1}
            """), PathPolicy.logDirectory(dir))) {
      // 100 lines of 14 bytes: past 1 KiB, so the log rotates at least once.
      for (int i = 0; i < 100; i++) RawHttp.exchange(gw.port(), RawHttp.get("/api/" + (1000 + i)));
      await().atMost(Duration.ofSeconds(10)).until(() -> lines(file).contains("/api/1099 200"));
      assertThat(notALog).isEmptyDirectory();
      // Rotation gave up rather than lose lines: the current file kept every one of them.
      assertThat(lines(file)).hasSize(100);
    }
  }

  @Test
  void rotatesByAge(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("access.log");
    try (TestUpstream up = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of(), "x"));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), """
            fields: [path]
            file: {path: %s, rotateEvery: 1s, keep: 3}
            """.formatted(dir.relativize(file))), PathPolicy.logDirectory(dir))) {
      RawHttp.exchange(gw.port(), RawHttp.get("/api/first"));
      await().atMost(Duration.ofSeconds(10)).until(() -> lines(file).equals(List.of("/api/first")));
      Thread.sleep(1100);
      RawHttp.exchange(gw.port(), RawHttp.get("/api/second"));
      await().atMost(Duration.ofSeconds(10)).until(() -> lines(file).equals(List.of("/api/second")));
      assertThat(lines(dir.resolve("access.log.1"))).containsExactly("/api/first");
    }
  }

  @Test
  void aFullQueueDropsEntriesWithoutBlocking(@TempDir Path dir) throws Exception {
    List<String> written = new ArrayList<>();
    AccessLogSink sink = new AccessLogSink() {
      @Override
      public void write(byte[] line, int length) {
        written.add(new String(line, 0, length, java.nio.charset.StandardCharsets.UTF_8));
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}

      @Override
      public String key() {
        return "memory";
      }
    };
    CompiledAccessLog log = new CompiledAccessLog(
        AccessLogFormat.compile(new AccessLog(true, AccessLog.Format.TEXT, List.of("path", "status"), null, null)), sink);
    try (AccessLogWriter writer = new AccessLogWriter(4)) {
      int accepted = 0;
      for (int i = 0; i < 10; i++) {
        AccessLogEntry e = new AccessLogEntry(log, 0, "main", "127.0.0.1", "GET", "h", "/" + i, null, "HTTP/1.1", 200,
            null, 0, 0, 0, -1, null, null, null, 0, 0, null, null, null, null, -1);
        if (writer.offer(e)) accepted++;
      }
      assertThat(accepted).isEqualTo(4);
      writer.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> writer.queued() == 0);
    }
    assertThat(written).containsExactly("/0 200\n", "/1 200\n", "/2 200\n", "/3 200\n");
  }

  @Test
  void theDroppedEntryCounterIsExportedPerListener(@TempDir Path dir) throws Exception {
    try (TestUpstream up = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of(), "x"));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), """
            fields: [path]
            file: {path: %s}
            """.formatted("a.log")), PathPolicy.logDirectory(dir))) {
      RawHttp.exchange(gw.port(), RawHttp.get("/api/x"));
      await().untilAsserted(() -> assertThat(PrometheusScrape.of(gw.gateway()).value("sluice_access_log_dropped_total", "listener", "main"))
          .isEqualTo(0));
    }
  }
}
