package io.sluice.proxy.proxy;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.RawUpstream;
import io.sluice.proxy.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Request buffering: a body is read into memory (up to {@code limits.requestBuffer}) before an
 * upstream connection is taken, so clients that send slowly cannot hold the upstream's pool.
 */
class RequestBufferingTest {
  private static String config(String endpoint, String limits) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
          limits: {%s}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: "%s"}]
          timeouts: {connect: 2s, response: 10s}
          pool: {maxConnectionsPerEndpoint: 10}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: all}
        spec:
          upstream: backend
        """.formatted(0, limits, endpoint);
  }

  /** The body of trickler {@code i}, as sent on the wire: Content-Length for even ones, chunked for odd ones. */
  private static String tricklerBody(int i) {
    String data = ("trickler " + i + " ").repeat(20);
    if (i % 2 == 0) return data;
    StringBuilder chunked = new StringBuilder();
    for (int k = 0; k < data.length(); k += 50) {
      String piece = data.substring(k, Math.min(data.length(), k + 50));
      chunked.append(Integer.toHexString(piece.length())).append("\r\n").append(piece).append("\r\n");
    }
    return chunked.append("0\r\n\r\n").toString();
  }

  @Test
  void clientsTricklingBodiesDoNotHoldUpstreamConnections() throws Exception {
    CountDownLatch othersDone = new CountDownLatch(1);
    try (TestUpstream up = TestUpstream.start("echo", (req, ex) -> ex.respond(200, Map.of(), req.body()));
        GatewayFixture gw = GatewayFixture.start(config(up.address(), ""))) {
      int tricklers = 12;
      CountDownLatch started = new CountDownLatch(tricklers);
      // The tricklers finish one after another (12 at once would exceed the pool of 10 by themselves).
      CountDownLatch[] answered = new CountDownLatch[tricklers];
      for (int i = 0; i < tricklers; i++) answered[i] = new CountDownLatch(1);
      List<CompletableFuture<RawConnection.Response>> slow = new ArrayList<>();
      for (int i = 0; i < tricklers; i++) {
        int n = i;
        slow.add(CompletableFuture.supplyAsync(() -> {
          try (RawConnection c = RawConnection.open(gw.port())) {
            String body = tricklerBody(n);
            c.send("POST /slow/" + n + " HTTP/1.1\r\nHost: a\r\n"
                + (n % 2 == 0 ? "Content-Length: " + body.length() : "Transfer-Encoding: chunked") + "\r\n\r\n");
            int sent = 0;
            CountDownLatch turn = n == 0 ? othersDone : answered[n - 1];
            // One byte every 50 ms until the other clients are done and the previous trickler has its answer.
            while (sent < body.length() - 1 && (sent < 5 || othersDone.getCount() > 0 || turn.getCount() > 0)) {
              c.send(body.substring(sent, sent + 1));
              sent++;
              if (sent == 5) started.countDown();
              Thread.sleep(50);
            }
            c.send(body.substring(sent));
            RawConnection.Response r = c.readResponse();
            answered[n].countDown();
            return r;
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        }, java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()));
      }
      assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();

      List<CompletableFuture<HttpResponse<String>>> others = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        others.add(gw.client().sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/fast/" + i))
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString("fast " + i))
                .build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      for (int i = 0; i < 10; i++) {
        HttpResponse<String> r = others.get(i).get(20, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as("POST /fast/%d: %s", i, r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("fast " + i);
      }
      // The tricklers were still sending all along.
      assertThat(slow).noneMatch(CompletableFuture::isDone);
      othersDone.countDown();

      for (int i = 0; i < tricklers; i++) {
        RawConnection.Response r = slow.get(i).get(20, TimeUnit.SECONDS);
        assertThat(r.status()).as("trickler %d: %s", i, r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(("trickler " + i + " ").repeat(20));
      }
    } finally {
      othersDone.countDown();
    }
  }

  @Test
  void aBodyLargerThanTheBufferStreamsOnceTheBufferIsFullAndArrivesExactly() throws Exception {
    byte[] first = new byte[3000];
    for (int i = 0; i < first.length; i++) first[i] = (byte) ('a' + i % 26);
    String chunk1 = "bb8\r\n" + new String(first, ISO_8859_1) + "\r\n";
    String rest = "5\r\nhello\r\n0\r\n\r\n";
    try (RawUpstream up = RawUpstream.start();
        GatewayFixture gw = GatewayFixture.start(config(up.address(), "requestBuffer: 1KiB"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /big HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk1);
      try (RawUpstream.Conn u = up.accept()) {
        // The first 3000 bytes are beyond the 1 KiB buffer: they reach the upstream before the client sends the rest.
        String head = u.readHead();
        assertThat(head).startsWith("POST /big HTTP/1.1\r\n").contains("\r\nTransfer-Encoding: chunked\r\n");
        assertThat(new String(u.readN(chunk1.length()), ISO_8859_1)).isEqualTo(chunk1);
        c.send(rest);
        assertThat(new String(u.readN(rest.length()), ISO_8859_1)).isEqualTo(rest);
        u.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok");
      }
    }
  }

  @Test
  void aBodyThatStopsArrivingWhileBufferedIs408AndNeverReachesTheUpstream() throws Exception {
    try (TestUpstream up = TestUpstream.start("echo", (req, ex) -> ex.respond(200, Map.of(), req.body()));
        GatewayFixture gw = GatewayFixture.start(config(up.address(), "").replace("limits: {}", "timeouts: {idle: 1s, headerRead: 1s}"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /stalled HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(408);
      assertThat(r.header("x-sluice-reason")).isEqualTo("request_timeout");
      assertThat(r.header("connection")).isEqualTo("close");
      assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
      assertThat(up.connectionsAccepted()).isZero();
    }
  }

  @Test
  void aChunkedBodyGrowingOverMaxBodySizeWhileBufferedIs413AndNeverReachesTheUpstream() throws Exception {
    try (TestUpstream up = TestUpstream.start("echo", (req, ex) -> ex.respond(200, Map.of(), req.body()));
        GatewayFixture gw = GatewayFixture.start(config(up.address(), "maxBodySize: 1KiB"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n" + "a".repeat(512) + "\r\n");
      c.send("400\r\n" + "b".repeat(1024) + "\r\n0\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(413);
      assertThat(r.header("x-sluice-reason")).isEqualTo("request_body_too_large");
      assertThat(r.header("connection")).isEqualTo("close");
      assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
      assertThat(up.connectionsAccepted()).isZero();
    }
  }
}
