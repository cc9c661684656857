package io.sluice.proxy.proxy;

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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Requests that must not reach the upstream twice (POST) and the keep-alive race: an upstream that
 * closes a pooled connection just as the gateway sends the next request on it.
 */
class KeepAliveRaceTest {
  /** Concurrent clients: enough that a pooled connection is often taken while its FIN is on the way. */
  private static final int CLIENTS = 20;

  @Test
  void postsToAnUpstreamThatClosesEachConnectionRightAfterItsResponseAllGet200() throws Exception {
    // Keep-alive is implied (HTTP/1.1, no Connection: close), yet each connection is closed right
    // after its response: every pooled connection is about to close when the next request takes it.
    // The close trails the response by a few milliseconds (a server finishing its bookkeeping
    // first), so the FIN often arrives after the gateway has pooled the connection again.
    try (TestUpstream up = TestUpstream.start("closes-after-each", (req, ex) -> {
          ex.respond(200, Map.of(), "got " + req.bodyText());
          LockSupport.parkNanos(5_000_000);
          ex.close();
        });
        GatewayFixture gw = GatewayFixture.start(GatewayFixture.simpleProxy(0, up.address()));
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
      List<Future<List<String>>> results = new ArrayList<>();
      for (int t = 0; t < CLIENTS; t++) {
        int client = t;
        results.add(clients.submit(() -> {
          List<String> bad = new ArrayList<>();
          for (int i = 0; i < 1000 / CLIENTS; i++) {
            String body = "client " + client + " post " + i;
            HttpResponse<String> r = gw.client().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/orders"))
                    .timeout(Duration.ofSeconds(20))
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200 || !r.body().equals("got " + body)) {
              bad.add(body + " -> " + r.statusCode() + " " + r.headers().firstValue("x-sluice-reason").orElse("") + " " + r.body());
            }
          }
          return bad;
        }));
      }
      List<String> bad = new ArrayList<>();
      for (Future<List<String>> f : results) bad.addAll(f.get());
      assertThat(bad).isEmpty();
      // Each POST reached the upstream exactly once: a retried one had not been read.
      assertThat(up.received()).hasSize(1000);
    }
  }

  @Test
  void aPostDoesNotTakeAPooledConnectionIdleForOverASecond() throws Exception {
    try (TestUpstream up = TestUpstream.start("ka", (req, ex) -> ex.respond(200, Map.of(), req.method() + " c" + req.connectionId()));
        GatewayFixture gw = GatewayFixture.start(GatewayFixture.simpleProxy(0, up.address()));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(c.readResponse().body()).isEqualTo("GET c1");
      // Used a moment ago: a POST takes the pooled connection.
      c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx");
      assertThat(c.readResponse().body()).isEqualTo("POST c1");
      long released = System.nanoTime();
      // Idle for over a second: the upstream may be closing it on its own idle timer; a POST does not risk it.
      Awaitility.await().pollDelay(Duration.ofMillis(1100)).until(() -> System.nanoTime() - released > 1_100_000_000L);
      c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx");
      assertThat(c.readResponse().body()).isEqualTo("POST c2");
      // The older connection stays pooled for requests that can be retried.
      assertThat(up.openConnections()).isEqualTo(2);
      c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(c.readResponse().body()).isEqualTo("GET c2");
      assertThat(up.connectionsAccepted()).isEqualTo(2);
    }
  }

  @Test
  void aGetOnAPooledConnectionTheUpstreamClosedGoesOnOnANewConnectionCountedAsOne() throws Exception {
    try (RawUpstream up = RawUpstream.start();
        GatewayFixture gw = GatewayFixture.start(GatewayFixture.simpleProxy(0, up.address()));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
      RawUpstream.Conn first = up.accept();
      assertThat(first.readHead()).startsWith("GET /1 HTTP/1.1\r\n");
      first.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nc1");
      assertThat(c.readResponse().body()).isEqualTo("c1");
      // The next request takes the pooled connection, which the upstream closes without answering:
      // the keep-alive race as the gateway sees it. A GET goes again on a new connection.
      c.send("GET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(first.readHead()).startsWith("GET /2 HTTP/1.1\r\n");
      first.close();
      RawUpstream.Conn second = up.accept();
      assertThat(second.readHead()).startsWith("GET /2 HTTP/1.1\r\n");
      second.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nc2");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("x-sluice-reason")).isNull();
      assertThat(r.body()).isEqualTo("c2");
      // The new connection is an attempt's like any other: counted as newly opened.
      StringBuilder metrics = new StringBuilder();
      gw.gateway().metrics().writePrometheus(metrics);
      assertThat(metrics.toString().lines().filter(l -> l.startsWith("sluice_upstream_connections_acquired_total{")))
          .containsExactlyInAnyOrder(
              "sluice_upstream_connections_acquired_total{upstream=\"backend\",endpoint=\"" + up.address() + "\",result=\"reused\"} 1",
              "sluice_upstream_connections_acquired_total{upstream=\"backend\",endpoint=\"" + up.address() + "\",result=\"new\"} 2");
    }
  }
}
