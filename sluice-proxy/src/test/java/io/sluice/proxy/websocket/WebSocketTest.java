package io.sluice.proxy.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.validate.PathPolicy;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawWebSocket;
import io.sluice.proxy.testing.TestUpstream;
import io.sluice.proxy.testing.WebSocketEchoServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSocket through ordinary routes: the handshake checked and filtered like any request, the 101
 * relayed, then a tunnel with back-pressure, timeouts, metrics, an access log line, and 1001 when
 * the gateway closes it. The upstream is Netty's own WebSocket implementation, the client the JDK's
 * {@link WebSocket} or a raw socket.
 */
class WebSocketTest {
  private static final long MiB = 1L << 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A listener (drain 1s), an upstream at {@code backend}, route {@code ws} with {@code routeExtra} in its spec. */
  static String config(int port, String backend, String routeExtra, String listenerExtra) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
          timeouts: {drain: 1s}
        %s
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: %s}]
          timeouts: {connect: 2s, response: 5s}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: ws}
        spec:
          upstream: backend
        %s
        """.formatted(port, listenerExtra.indent(2).stripTrailing(), backend, routeExtra.indent(2).stripTrailing());
  }

  static String config(int port, String backend, String routeExtra) {
    return config(port, backend, routeExtra, "");
  }

  /** A JDK WebSocket listener that collects whole messages, pongs and the close. */
  static final class Collector implements WebSocket.Listener {
    final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
    final BlockingQueue<String> pongs = new LinkedBlockingQueue<>();
    final CompletableFuture<String> closed = new CompletableFuture<>();
    private StringBuilder text = new StringBuilder();
    private java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        messages.add(text.toString());
        text = new StringBuilder();
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] b = new byte[data.remaining()];
      data.get(b);
      binary.writeBytes(b);
      if (last) {
        messages.add(binary.toByteArray());
        binary = new java.io.ByteArrayOutputStream();
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
      pongs.add(StandardCharsets.UTF_8.decode(message).toString());
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
      closed.complete(code + ":" + reason);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.completeExceptionally(error);
    }

    Object next() throws InterruptedException {
      return next(Duration.ofSeconds(20));
    }

    Object next(Duration within) throws InterruptedException {
      Object m = messages.poll(within.toMillis(), TimeUnit.MILLISECONDS);
      if (m == null) throw new AssertionError("no message within " + within);
      return m;
    }
  }

  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static WebSocket open(int port, Collector c) throws Exception {
    return CLIENT.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/echo"), c)
        .get(10, TimeUnit.SECONDS);
  }

  /** The value of one sample line of the gateway's metrics, e.g. {@code sluice_websocket_tunnels_open}. */
  static double metric(GatewayFixture gw, String sample) {
    StringBuilder out = new StringBuilder();
    try {
      gw.gateway().metrics().writePrometheus(out);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    for (String line : out.toString().split("\n")) {
      if (line.startsWith(sample + " ")) return Double.parseDouble(line.substring(sample.length() + 1));
    }
    throw new AssertionError("no sample " + sample + " in\n" + out);
  }

  static String closedBy(String who) {
    return "sluice_websocket_tunnels_closed_total{closed_by=\"" + who + "\"}";
  }

  @Test
  void relaysTextAndBinaryBothWaysAndLogsTheTunnelOnceWhenItCloses(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("access.log");
    try (WebSocketEchoServer echo = WebSocketEchoServer.start();
        GatewayFixture gw = GatewayFixture.start(config(0, echo.address(), "",
            "accessLog: {format: json, file: {path: access.log}}"), PathPolicy.logDirectory(dir))) {
      Collector c = new Collector();
      WebSocket ws = open(gw.port(), c);
      ws.sendText("hello", true).get(5, TimeUnit.SECONDS);
      assertThat(c.next()).isEqualTo("hello");
      ws.sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3, 0, -1}), true).get(5, TimeUnit.SECONDS);
      assertThat((byte[]) c.next()).containsExactly(1, 2, 3, 0, -1);
      assertThat(metric(gw, "sluice_websocket_tunnels_open")).isEqualTo(1);

      // The handshake reached the upstream as a handshake: Upgrade and Connection put back, forwarding headers added.
      Map<String, String> h = echo.handshakes().getFirst();
      assertThat(h).containsEntry("upgrade", "websocket").containsEntry("connection", "Upgrade")
          .containsEntry("sec-websocket-version", "13").containsEntry("x-forwarded-for", "127.0.0.1")
          .containsKey("sec-websocket-key").containsKey("x-request-id");

      ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
      assertThat(c.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1000:done");
      await().atMost(Duration.ofSeconds(10)).until(() -> metric(gw, "sluice_websocket_tunnels_open") == 0);
      assertThat(metric(gw, closedBy("client"))).isEqualTo(1);
      assertThat(metric(gw, closedBy("upstream"))).isZero();

      await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log) && Files.readAllLines(log).size() == 1);
      JsonNode line = JSON.readTree(Files.readAllLines(log).getFirst());
      assertThat(line.get("status").asInt()).isEqualTo(101);
      assertThat(line.get("reason").asText()).isEqualTo("websocket_client_closed");
      assertThat(line.get("route").asText()).isEqualTo("ws");
      assertThat(line.get("path").asText()).isEqualTo("/echo");
      // The handshake's head and the frames: "hello" (11 bytes masked), 5 bytes (11), the close (12).
      assertThat(line.get("bytesIn").asLong()).isGreaterThan(11 + 11 + 12);
      // The 101, then the echoes (7 and 7 bytes unmasked) and the close (6).
      assertThat(line.get("bytesOut").asLong()).isGreaterThan(7 + 7 + 6);
    }
  }

  @Test
  void relaysA16MiBMessageWholeAndAnswersPings() throws Exception {
    try (WebSocketEchoServer echo = WebSocketEchoServer.start();
        GatewayFixture gw = GatewayFixture.start(config(0, echo.address(), ""))) {
      Collector c = new Collector();
      WebSocket ws = open(gw.port(), c);
      byte[] big = new byte[(int) (16 * MiB)];
      ThreadLocalRandom.current().nextBytes(big);
      // Generous ceilings: the suite's JVM runs with paranoid leak detection on a shared machine.
      ws.sendBinary(ByteBuffer.wrap(big), true).get(60, TimeUnit.SECONDS);
      assertThat((byte[]) c.next(Duration.ofSeconds(60))).isEqualTo(big);

      ws.sendPing(ByteBuffer.wrap("are you there".getBytes(StandardCharsets.UTF_8))).get(5, TimeUnit.SECONDS);
      assertThat(c.pongs.poll(10, TimeUnit.SECONDS)).isEqualTo("are you there");
      ws.abort();
    }
  }

  @Test
  void passesCloseCodesAndReasonsBothWays() throws Exception {
    try (WebSocketEchoServer echo = WebSocketEchoServer.start();
        GatewayFixture gw = GatewayFixture.start(config(0, echo.address(), ""))) {
      Collector byClient = new Collector();
      WebSocket a = open(gw.port(), byClient);
      a.sendClose(4000, "client done").get(5, TimeUnit.SECONDS);
      assertThat(echo.closes().poll(10, TimeUnit.SECONDS)).isEqualTo("4000:client done");
      assertThat(byClient.closed.get(10, TimeUnit.SECONDS)).isEqualTo("4000:client done");

      Collector byUpstream = new Collector();
      WebSocket b = open(gw.port(), byUpstream);
      b.sendText("close:4001:upstream done", true).get(5, TimeUnit.SECONDS);
      assertThat(byUpstream.closed.get(10, TimeUnit.SECONDS)).isEqualTo("4001:upstream done");

      await().atMost(Duration.ofSeconds(10)).until(() -> metric(gw, "sluice_websocket_tunnels_open") == 0);
      assertThat(metric(gw, closedBy("client"))).isEqualTo(1);
      assertThat(metric(gw, closedBy("upstream"))).isEqualTo(1);
    }
  }

  @Test
  void refusesBadHandshakesWithoutContactingTheUpstream() throws Exception {
    try (WebSocketEchoServer echo = WebSocketEchoServer.start();
        GatewayFixture gw = GatewayFixture.start(config(0, echo.address(), ""))) {
      String good = RawWebSocket.handshake("/echo");
      try (RawWebSocket r = RawWebSocket.connect(gw.port(),
          good.replaceFirst("Sec-WebSocket-Key: [^\r]+", "Sec-WebSocket-Key: dG9vIHNob3J0"))) {
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.responseHead).contains("X-Sluice-Reason: websocket_handshake\r\n");
        assertThat(r.rest()).contains("Sec-WebSocket-Key must be the base64 encoding of 16 bytes, got 'dG9vIHNob3J0'");
      }
      try (RawWebSocket r = RawWebSocket.connect(gw.port(), good.replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"))) {
        assertThat(r.status()).isEqualTo(426);
        assertThat(r.responseHead).contains("\r\nSec-WebSocket-Version: 13\r\n", "X-Sluice-Reason: websocket_version\r\n");
        assertThat(r.rest()).contains("Sec-WebSocket-Version must be 13, got '8'");
      }
      try (RawWebSocket r = RawWebSocket.connect(gw.port(), good.replace("GET ", "POST "))) {
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.rest()).contains("a WebSocket handshake must be a GET, got POST");
      }
      try (RawWebSocket r = RawWebSocket.connect(gw.port(), good.replace("Connection: Upgrade", "Connection: keep-alive"))) {
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.rest()).contains("a WebSocket handshake needs Connection: Upgrade");
      }
      try (RawWebSocket r = RawWebSocket.connect(gw.port(), good.replace("HTTP/1.1", "HTTP/1.0"))) {
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.rest()).contains("a WebSocket handshake must be HTTP/1.1, got HTTP/1.0");
      }
      assertThat(echo.requests()).isZero();
    }
  }

  @Test
  void aFilterRefusesTheHandshakeBeforeTheUpstreamIsContacted() throws Exception {
    try (WebSocketEchoServer echo = WebSocketEchoServer.start();
        GatewayFixture gw = GatewayFixture.start(config(0, echo.address(),
            "filters: [{kind: test-result, config: {result: denied, status: 401, body: no key}}]"))) {
      try (RawWebSocket r = RawWebSocket.connect(gw.port(), RawWebSocket.handshake("/echo"))) {
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.responseHead).contains("X-Answered-By: test-result\r\n");
      }
      assertThat(echo.requests()).isZero();
      assertThat(metric(gw, "sluice_websocket_tunnels_open")).isZero();
    }
  }

  @Test
  void relaysAnUpstreamsRefusalAsAResponseAndAWrongAcceptAs502() throws Exception {
    try (TestUpstream up = TestUpstream.start("backend", (req, ex) -> {
          if (req.target().equals("/refuse")) {
            ex.respond(403, Map.of(), "not for you");
          } else {
            ex.raw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
          }
        });
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), ""))) {
      try (RawWebSocket r = RawWebSocket.connect(gw.port(), RawWebSocket.handshake("/refuse"))) {
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.body()).isEqualTo("not for you");
      }
      try (RawWebSocket r = RawWebSocket.connect(gw.port(), RawWebSocket.handshake("/wrong-accept"))) {
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.responseHead).contains("X-Sluice-Reason: upstream_protocol_error\r\n");
        assertThat(r.rest()).contains("Sec-WebSocket-Accept 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' does not match the key");
      }
    }
  }

  @Test
  void aRouteWithWebSocketOffForwardsTheHandshakeAsAPlainRequest() throws Exception {
    try (TestUpstream up = TestUpstream.start("backend", (req, ex) -> ex.respond(200, Map.of(), "plain"));
        GatewayFixture gw = GatewayFixture.start(config(0, up.address(), "websocket: false"))) {
      try (RawWebSocket r = RawWebSocket.connect(gw.port(), RawWebSocket.handshake("/echo"))) {
        assertThat(r.status()).isEqualTo(200);
      }
      TestUpstream.Received req = up.received().poll(5, TimeUnit.SECONDS);
      assertThat(req).isNotNull();
      assertThat(req.header("upgrade")).isNull();
      assertThat(req.header("connection")).isNull();
    }
  }

  @Test
  void closesAnIdleTunnelWith1001() throws Exception {
    try (WebSocketEchoServer echo = WebSocketEchoServer.start();
        GatewayFixture gw = GatewayFixture.start(config(0, echo.address(),
            "timeouts: {websocketIdle: 300ms}"))) {
      try (RawWebSocket r = RawWebSocket.connect(gw.port(), RawWebSocket.handshake("/echo"))) {
        assertThat(r.status()).isEqualTo(101);
        r.sendText("still here");
        assertThat(r.read().text()).isEqualTo("still here");
        RawWebSocket.Frame close = r.read();
        assertThat(close.opcode()).isEqualTo(8);
        assertThat(close.closeCode()).isEqualTo(1001);
        assertThat(close.closeReason()).isEqualTo("idle timeout");
        assertThat(echo.closes().poll(10, TimeUnit.SECONDS)).isEqualTo("1001:idle timeout");
        r.sendClose(1001, "");
        assertThat(r.isClosedByPeer()).isTrue();
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> metric(gw, closedBy("idle")) == 1);
    }
  }

  @Test
  void closesATunnelPastItsLifetimeWith1001WhateverItsTraffic() throws Exception {
    try (WebSocketEchoServer echo = WebSocketEchoServer.start();
        GatewayFixture gw = GatewayFixture.start(config(0, echo.address(),
            "timeouts: {websocketIdle: 1h, websocketLifetime: 1s}"))) {
      Collector c = new Collector();
      WebSocket ws = open(gw.port(), c);
      long start = System.nanoTime();
      ws.sendText("hi", true).get(5, TimeUnit.SECONDS);
      assertThat(c.next()).isEqualTo("hi");
      assertThat(c.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1001:maximum lifetime reached");
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(900));
      await().atMost(Duration.ofSeconds(10)).until(() -> metric(gw, closedBy("lifetime")) == 1);
    }
  }

  @Test
  void aRemovedRouteClosesItsTunnelsWith1001AfterTheGracePeriod() throws Exception {
    try (WebSocketEchoServer echo = WebSocketEchoServer.start();
        GatewayFixture gw = GatewayFixture.start(config(0, echo.address(), ""))) {
      Collector c = new Collector();
      WebSocket ws = open(gw.port(), c);
      String withoutRoute = config(0, echo.address(), "").replaceFirst("(?s)---\napiVersion: sluice.io/v1\nkind: Route.*", "");
      gw.reload(withoutRoute);
      long reloaded = System.nanoTime();
      // The grace period: the tunnel still works.
      ws.sendText("during the grace", true).get(5, TimeUnit.SECONDS);
      assertThat(c.next()).isEqualTo("during the grace");
      assertThat(c.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1001:going away");
      assertThat(System.nanoTime() - reloaded).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(900));
      assertThat(echo.closes().poll(10, TimeUnit.SECONDS)).isEqualTo("1001:going away");
      await().atMost(Duration.ofSeconds(10)).until(() -> metric(gw, closedBy("drain")) == 1);
    }
  }

  @Test
  void shutdownClosesOpenTunnelsWith1001() throws Exception {
    try (WebSocketEchoServer echo = WebSocketEchoServer.start()) {
      GatewayFixture gw = GatewayFixture.start(config(0, echo.address(), ""));
      Collector c = new Collector();
      open(gw.port(), c);
      CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> {
        try {
          gw.close();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      assertThat(c.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1001:going away");
      assertThat(echo.closes().poll(10, TimeUnit.SECONDS)).isEqualTo("1001:going away");
      closing.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aClientThatStopsReadingStallsTheUpstreamInsteadOfFillingTheGateway() throws Exception {
    long flood = 200 * MiB;
    try (WebSocketEchoServer echo = WebSocketEchoServer.start();
        GatewayFixture gw = GatewayFixture.start(config(0, echo.address(), ""))) {
      try (RawWebSocket r = RawWebSocket.connect(gw.port(), RawWebSocket.handshake("/echo"))) {
        assertThat(r.status()).isEqualTo(101);
        r.sendText("flood:" + flood);
        // The client reads nothing: the upstream's socket takes what the socket buffers and the
        // gateway's one water mark hold, then its writes stall.
        long[] last = {-1};
        int[] same = {0};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
          long now = echo.flooded();
          same[0] = now == last[0] && now > 0 ? same[0] + 1 : 0;
          last[0] = now;
          return same[0] >= 5;
        });
        assertThat(last[0]).isLessThan(BOUND).isLessThan(flood);
        // Reading again lets the rest through, all of it.
        long received = 0;
        while (received < flood) received += r.read().payload().length;
        assertThat(received).isEqualTo(flood);
        assertThat(echo.flooded()).isEqualTo(flood);
      }
    }
  }

  /** What socket buffers on both hops may hold (as in BackPressureTest), far below the 200 MiB sent. */
  private static final long BOUND = Math.max(16 * MiB, 2 * maxSendBuffer() + 8 * MiB);

  private static long maxSendBuffer() {
    try {
      String[] v = Files.readString(Path.of("/proc/sys/net/ipv4/tcp_wmem")).trim().split("\\s+");
      return Long.parseLong(v[2]);
    } catch (IOException | RuntimeException e) {
      return 4 * MiB;
    }
  }

  /** Debian's python3 (python3-websockets is a Debian package; a pyenv's python3 would not see it). */
  private static String python() {
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }

  private static boolean pythonWebsocketsInstalled() {
    try {
      Process p = new ProcessBuilder(python(), "-c", "import websockets").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** An echo server on the python3-websockets library: a second, independent implementation upstream. */
  private static final String PYTHON_ECHO = """
      import asyncio, sys, websockets
      async def echo(ws, *path):
          async for message in ws:
              await ws.send(message)
      async def main():
          async with websockets.serve(echo, "127.0.0.1", 0, max_size=None) as server:
              print("ready", server.sockets[0].getsockname()[1], flush=True)
              await asyncio.Future()
      asyncio.run(main())
      """;

  @Test
  void relaysToAPythonWebsocketsUpstream(@TempDir Path dir) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(pythonWebsocketsInstalled(),
        "python3-websockets is not installed (bin/test installs it when run as root)");
    Path script = dir.resolve("echo.py");
    Files.writeString(script, PYTHON_ECHO);
    // The echo server binds port 0 and reports the port it got.
    Process py = new ProcessBuilder(python(), script.toString()).redirectErrorStream(true).start();
    java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(py.getInputStream(), StandardCharsets.UTF_8));
    String ready = out.readLine();
    assertThat(ready).startsWith("ready ");
    int port = Integer.parseInt(ready.substring("ready ".length()));
    try (GatewayFixture gw = GatewayFixture.start(config(0, "127.0.0.1:" + port, ""))) {
      Collector c = new Collector();
      WebSocket ws = open(gw.port(), c);
      ws.sendText("to python", true).get(5, TimeUnit.SECONDS);
      assertThat(c.next()).isEqualTo("to python");
      byte[] big = new byte[(int) MiB];
      ThreadLocalRandom.current().nextBytes(big);
      ws.sendBinary(ByteBuffer.wrap(big), true).get(10, TimeUnit.SECONDS);
      assertThat((byte[]) c.next()).isEqualTo(big);
      ws.sendClose(4000, "bye python").get(5, TimeUnit.SECONDS);
      assertThat(c.closed.get(10, TimeUnit.SECONDS)).isEqualTo("4000:bye python");
      await().atMost(Duration.ofSeconds(10)).until(() -> metric(gw, closedBy("client")) == 1);
    } finally {
      py.destroy();
      py.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void carriesAThousandConcurrentTunnelsThroughOneGateway() throws Exception {
    int n = 1000;
    try (WebSocketEchoServer echo = WebSocketEchoServer.start();
        GatewayFixture gw = GatewayFixture.start(config(0, echo.address(), ""))) {
      List<RawWebSocket> sockets = new ArrayList<>();
      try {
        for (int i = 0; i < n; i++) {
          RawWebSocket r = RawWebSocket.connect(gw.port(), RawWebSocket.handshake("/echo"));
          sockets.add(r);
          assertThat(r.status()).isEqualTo(101);
        }
        // The 101 goes out just before the tunnel is counted.
        await().atMost(Duration.ofSeconds(10)).until(() -> metric(gw, "sluice_websocket_tunnels_open") == n);
        for (int i = 0; i < n; i++) sockets.get(i).sendText("message " + i);
        for (int i = 0; i < n; i++) assertThat(sockets.get(i).read().text()).isEqualTo("message " + i);
      } finally {
        for (RawWebSocket r : sockets) r.close();
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> metric(gw, "sluice_websocket_tunnels_open") == 0);
      assertThat(metric(gw, closedBy("client"))).isEqualTo(n);
      await().atMost(Duration.ofSeconds(20)).until(() -> echo.openConnections() == 0);
    }
  }
}
