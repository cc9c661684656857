package io.sluice.proxy.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.api.ConfigException;
import io.sluice.api.ConfigSet;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Configuration changes while traffic flows, refused changes, listeners coming and going, shutdown. */
class ReloadTest {
  private static String listener(String name, int port) {
    return listenerOn(name, "127.0.0.1:" + port);
  }

  private static String listenerOn(String name, String address) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: %s}
        spec:
          address: %s
        ---
        """.formatted(name, address);
  }

  private static String upstream(String name, String address, String response) {
    return """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: %s}
        spec:
          endpoints: [{address: "%s"}]
          timeouts: {response: %s}
        ---
        """.formatted(name, address, response);
  }

  private static String route(String name, String path, String upstream) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: %s}
        spec:
          match: {path: {prefix: "%s"}}
          upstream: %s
        ---
        """.formatted(name, path, upstream);
  }

  private static RawConnection.Response get(int port, String target) throws IOException {
    try (RawConnection c = RawConnection.open(port)) {
      c.send("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
      return c.readResponse();
    }
  }

  private static boolean refuses(int port) {
    try {
      RawConnection.open(port).close();
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A route answering {@code body} directly; {@code extra} is more of its spec, one line per field. */
  private static String direct(String name, String body, String match, String... extra) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: %s}
        spec:
          match: %s
          directResponse: {status: 200, body: "%s"}
        %s---
        """.formatted(name, match, body, String.join("", java.util.Arrays.stream(extra).map(e -> "  " + e + "\n").toList()));
  }

  private static String answer(int port, String host, String target) throws IOException {
    try (RawConnection c = RawConnection.open(port)) {
      c.send("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      return r.status() == 200 ? r.body() : String.valueOf(r.status());
    }
  }

  @Test
  void routeOnlyChangesAreServedAsAFreshConfigurationWouldServeThem() throws Exception {
    String listeners = listener("main", 0) + listener("second", 0);
    String a = direct("a", "a", "{path: {prefix: /a}}");
    String b = direct("b", "b", "{path: {exact: /b}}");
    String x = direct("x", "x", "{path: {prefix: /}}", "hosts: [x.example]");
    try (GatewayFixture gw = GatewayFixture.start(listeners + a + b + x)) {
      // Unchanged listeners keep their sockets across the reloads below, so these ports stay valid.
      int main = gw.port("main");
      int second = gw.port("second");
      assertThat(answer(main, "x.example", "/q")).isEqualTo("x");
      assertThat(answer(main, "other", "/a/1")).isEqualTo("a");

      // Added: the longer prefix wins.
      String deeper = direct("a-deeper", "a-deeper", "{path: {prefix: /a/deeper}}");
      gw.reload(listeners + a + deeper + b + x);
      assertThat(answer(main, "other", "/a/deeper/1")).isEqualTo("a-deeper");
      assertThat(answer(main, "other", "/a/1")).isEqualTo("a");

      // Changed priority: now the shorter prefix wins.
      String aFirst = direct("a", "a", "{path: {prefix: /a}}", "priority: 10");
      gw.reload(listeners + aFirst + deeper + b + x);
      assertThat(answer(main, "other", "/a/deeper/1")).isEqualTo("a");

      // Moved to the other listener.
      String bSecond = direct("b", "b", "{path: {exact: /b}}", "listeners: [second]");
      gw.reload(listeners + aFirst + deeper + bSecond + x);
      assertThat(answer(main, "other", "/b")).isEqualTo("404");
      assertThat(answer(second, "other", "/b")).isEqualTo("b");
      assertThat(answer(second, "other", "/a/1")).isEqualTo("a");

      // Moved to another host: the old host falls through to the routes without hosts.
      String y = direct("x", "x", "{path: {prefix: /}}", "hosts: [y.example]");
      gw.reload(listeners + aFirst + deeper + bSecond + y);
      assertThat(answer(main, "x.example", "/q")).isEqualTo("404");
      assertThat(answer(main, "x.example", "/a/1")).isEqualTo("a");
      assertThat(answer(main, "y.example", "/q")).isEqualTo("x");

      // Removed.
      gw.reload(listeners + bSecond + y);
      assertThat(answer(main, "other", "/a/deeper/1")).isEqualTo("404");
      assertThat(answer(second, "other", "/a/1")).isEqualTo("404");
      assertThat(answer(second, "other", "/b")).isEqualTo("b");
      assertThat(answer(main, "y.example", "/q")).isEqualTo("x");
    }
  }

  @Test
  void aChangedRouteGetsItsNewFiltersAndKeepsTheListenersGlobalFilters() throws Exception {
    try (TestUpstream up = TestUpstream.named("up")) {
      String base = listener("main", 0) + upstream("up", up.address(), "5s") + """
          apiVersion: sluice.io/v1
          kind: GlobalFilter
          metadata: {name: edge}
          spec:
            before: [{kind: test-mark, config: {mark: global}}]
          ---
          """;
      String plain = route("r", "/", "up");
      String marked = plain.replace("---\n", "  filters: [{kind: test-mark, config: {mark: own}}]\n---\n");
      try (GatewayFixture gw = GatewayFixture.start(base + plain + route("other", "/other", "up"))) {
        int port = gw.port();
        assertThat(gw.get(port, "/x").headers().allValues("X-Trace")).containsExactly("global");
        gw.reload(base + marked + route("other", "/other", "up"));
        HttpResponse<String> r = gw.get(port, "/x");
        assertThat(r.body()).isEqualTo("up");
        // Response filters run in reverse order.
        assertThat(r.headers().allValues("X-Trace")).containsExactly("own", "global");
        assertThat(gw.get(port, "/other").headers().allValues("X-Trace")).containsExactly("global");
      }
    }
  }

  @Test
  void reloadsUnderLoadLoseNoRequestAndKeepEveryConnection() throws Exception {
    int clients = 4;
    try (TestUpstream a = TestUpstream.named("a"); TestUpstream b = TestUpstream.named("b")) {
      // Each reload moves the route to the other upstream and changes both upstreams' specs, so
      // their runtimes are rebuilt; their endpoints, and the pooled connections to them, carry over.
      java.util.function.IntFunction<String> config = i -> listener("main", 0)
          + upstream("a", a.address(), (5 + i % 2) + "s")
          + upstream("b", b.address(), (5 + i % 2) + "s")
          + route("all", "/", i % 2 == 0 ? "a" : "b");
      try (GatewayFixture gw = GatewayFixture.start(config.apply(0))) {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong requests = new AtomicLong();
        List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        Map<String, AtomicInteger> servedBy = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < clients; t++) {
          int id = t;
          threads.add(Thread.ofPlatform().name("load-" + t).start(() -> {
            // one connection per client for the whole run: a reload must not close it
            try (RawConnection c = RawConnection.open(gw.port())) {
              int i = 0;
              while (!stop.get()) {
                c.send("GET /c" + id + "/" + i++ + " HTTP/1.1\r\nHost: a\r\n\r\n");
                RawConnection.Response r = c.readResponse();
                if (r.status() != 200) failures.add(r.statusLine() + " " + r.body());
                servedBy.computeIfAbsent(r.body(), k -> new AtomicInteger()).incrementAndGet();
                requests.incrementAndGet();
              }
            } catch (IOException | RuntimeException e) {
              failures.add("client " + id + ": " + e);
            }
          }));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> requests.get() > 100);
        for (int i = 1; i <= 20; i++) {
          gw.reload(config.apply(i));
          Thread.sleep(150); // the test is about traffic during ~3 s of reloads
        }
        stop.set(true);
        for (Thread t : threads) t.join(10_000);

        assertThat(failures).isEmpty();
        assertThat(servedBy.keySet()).containsExactlyInAnyOrder("a", "b");
        assertThat(servedBy.get("a").get()).isGreaterThan(20);
        assertThat(servedBy.get("b").get()).isGreaterThan(20);
        // At most one upstream connection per client connection (the pools survived every reload).
        assertThat(a.connectionsAccepted()).isBetween(1, clients);
        assertThat(b.connectionsAccepted()).isBetween(1, clients);
        // The last config sends to a (20 is even).
        assertThat(get(gw.port(), "/").body()).isEqualTo("a");
      }
    }
  }

  @Test
  void aRouteChangeReachesAnOpenKeepAliveConnection() throws Exception {
    try (TestUpstream a = TestUpstream.named("a"); TestUpstream b = TestUpstream.named("b")) {
      String base = listener("main", 0) + upstream("a", a.address(), "5s") + upstream("b", b.address(), "5s");
      try (GatewayFixture gw = GatewayFixture.start(base + route("r", "/", "a"));
          RawConnection c = RawConnection.open(gw.port())) {
        c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().body()).isEqualTo("a");
        gw.reload(base + route("r", "/", "b"));
        c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().body()).isEqualTo("b");
      }
    }
  }

  @Test
  void anEndpointRemovedByReloadHasItsIdleConnectionsClosedAndAKeptOneKeepsThem() throws Exception {
    try (TestUpstream a = TestUpstream.named("a"); TestUpstream b = TestUpstream.named("b")) {
      String both = listener("main", 0) + upstream("x", a.address(), "5s") + upstream("y", b.address(), "5s")
          + route("rx", "/x", "x") + route("ry", "/y", "y");
      try (GatewayFixture gw = GatewayFixture.start(both); RawConnection c = RawConnection.open(gw.port())) {
        c.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().body()).isEqualTo("a");
        c.send("GET /y HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().body()).isEqualTo("b");
        assertThat(a.openConnections()).isEqualTo(1);
        assertThat(b.openConnections()).isEqualTo(1);

        // x now points at b's address: a's endpoint is gone, b's is kept (same address and weight).
        gw.reload(listener("main", 0) + upstream("x", b.address(), "5s") + upstream("y", b.address(), "6s")
            + route("rx", "/x", "x") + route("ry", "/y", "y"));
        await().atMost(Duration.ofSeconds(5)).until(() -> a.openConnections() == 0);
        c.send("GET /y HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().body()).isEqualTo("b");
        c.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().body()).isEqualTo("b");
        assertThat(b.connectionsAccepted()).as("y's pooled connection survived the reload").isLessThanOrEqualTo(2);
        assertThat(a.connectionsAccepted()).isEqualTo(1);
      }
    }
  }

  @Test
  void anInvalidConfigIsRefusedAndTheOldOneKeepsServing() throws Exception {
    try (TestUpstream a = TestUpstream.named("a")) {
      String good = listener("main", 0) + upstream("a", a.address(), "5s") + route("r", "/", "a");
      try (GatewayFixture gw = GatewayFixture.start(good)) {
        int port = gw.port();
        ConfigSet before = gw.gateway().config();
        String bad = listener("main", 0) + upstream("a", a.address(), "5s") + """
            apiVersion: sluice.io/v1
            kind: Route
            metadata: {name: broken}
            spec:
              match: {path: {regex: "(["}}
              upstream: a
            """;
        assertThatThrownBy(() -> gw.reload(bad))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("Route/broken")
            .hasMessageContaining("spec.match.path.regex");
        assertThat(gw.gateway().config()).isSameAs(before);
        assertThat(get(port, "/x").body()).isEqualTo("a");

        String dangling = listener("main", 0) + route("r", "/", "missing");
        assertThatThrownBy(() -> gw.reload(dangling)).isInstanceOf(ConfigException.class).hasMessageContaining("missing");
        assertThat(gw.gateway().config()).isSameAs(before);
        assertThat(get(port, "/y").body()).isEqualTo("a");
      }
    }
  }

  @Test
  void aListenerThatCannotBindLeavesEverythingAsItWas() throws Exception {
    try (TestUpstream a = TestUpstream.named("a"); TestUpstream b = TestUpstream.named("b");
        ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String good = listener("main", 0) + upstream("a", a.address(), "5s") + route("r", "/", "a");
      try (GatewayFixture gw = GatewayFixture.start(good)) {
        int port = gw.port();
        ConfigSet before = gw.gateway().config();
        String clash = listener("main", 0) + listener("extra", taken.getLocalPort())
            + upstream("b", b.address(), "5s") + route("r", "/", "b");
        assertThatThrownBy(() -> gw.reload(clash))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("Listener/extra");
        assertThat(gw.gateway().config()).isSameAs(before);
        assertThat(gw.gateway().boundAddress("extra")).isNull();
        assertThat(get(port, "/").body()).isEqualTo("a");
      }
    }
  }

  @Test
  void aListenerAddedByReloadServesAndARemovedOneStopsAccepting() throws Exception {
    try (TestUpstream a = TestUpstream.named("a")) {
      String one = listener("main", 0) + upstream("a", a.address(), "5s") + route("r", "/", "a");
      String two = listener("main", 0) + listener("second", 0) + upstream("a", a.address(), "5s")
          + route("r", "/", "a");
      try (GatewayFixture gw = GatewayFixture.start(one)) {
        int port = gw.port();
        assertThat(gw.gateway().boundAddress("second")).isNull();
        gw.reload(two);
        int second = gw.port("second");
        assertThat(second).isNotEqualTo(port);
        assertThat(gw.port()).isEqualTo(port);
        assertThat(get(second, "/").body()).isEqualTo("a");

        try (RawConnection idle = RawConnection.open(second); RawConnection onMain = RawConnection.open(port)) {
          idle.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
          assertThat(idle.readResponse().body()).isEqualTo("a");
          onMain.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
          assertThat(onMain.readResponse().body()).isEqualTo("a");

          gw.reload(one);
          assertThat(gw.gateway().boundAddress("second")).isNull();
          assertThat(refuses(second)).isTrue();
          // The removed listener's idle keep-alive connection is closed; the other listener's is not.
          assertThat(idle.closedByPeer(Duration.ofSeconds(5))).isTrue();
          onMain.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
          assertThat(onMain.readResponse().body()).isEqualTo("a");
        }
      }
    }
  }

  @Test
  void aListenerMovedToAnotherPortServesThereOnly() throws Exception {
    try (TestUpstream a = TestUpstream.named("a")) {
      String tail = upstream("a", a.address(), "5s") + route("r", "/", "a");
      try (GatewayFixture gw = GatewayFixture.start(listener("main", 0) + tail)) {
        int before = gw.port();
        assertThat(get(before, "/").body()).isEqualTo("a");
        // Another configured address (any interface, port 0): the listener is bound anew, on a port of its own.
        gw.reload(listenerOn("main", "0.0.0.0:0") + tail);
        int after = gw.port();
        assertThat(after).isNotEqualTo(before);
        assertThat(get(after, "/").body()).isEqualTo("a");
        assertThat(refuses(before)).isTrue();
      }
    }
  }

  @Test
  void aListenerOnPortZeroKeepsItsBoundPortAndConnectionsAcrossAReload() throws Exception {
    try (TestUpstream a = TestUpstream.named("a"); TestUpstream b = TestUpstream.named("b")) {
      String before = listener("main", 0) + upstream("a", a.address(), "5s") + route("r", "/", "a");
      // The listener's spec changes too (a timeout), its configured address 127.0.0.1:0 does not.
      String after = """
          apiVersion: sluice.io/v1
          kind: Listener
          metadata: {name: main}
          spec:
            address: 127.0.0.1:0
            timeouts: {idle: 2m}
          ---
          """ + upstream("b", b.address(), "5s") + route("r", "/", "b");
      try (GatewayFixture gw = GatewayFixture.start(before); RawConnection c = RawConnection.open(gw.port())) {
        int port = gw.port();
        assertThat(port).isPositive();
        c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().body()).isEqualTo("a");

        gw.reload(after);

        assertThat(gw.port()).isEqualTo(port);
        c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(c.readResponse().body()).isEqualTo("b");
        assertThat(get(port, "/").body()).isEqualTo("b");
      }
    }
  }

  @Test
  void aRemovedListenersInFlightRequestCompletes() throws Exception {
    CountDownLatch arrived = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (TestUpstream a = TestUpstream.start("a", (req, ex) -> {
          arrived.countDown();
          awaitQuietly(release);
          ex.respond(200, Map.of(), "finished");
        })) {
      String one = listener("main", 0) + upstream("a", a.address(), "30s") + route("r", "/", "a");
      String two = listener("second", 0) + one;
      try (GatewayFixture gw = GatewayFixture.start(two); RawConnection c = RawConnection.open(gw.port("second"))) {
        int second = gw.port("second");
        c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
        gw.reload(one);
        assertThat(refuses(second)).isTrue();
        release.countDown();
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("finished");
        // Then the connection is closed. (Whether the response says so with Connection: close depends
        // on whether the drain, handed to the connection's event loop by apply, got there first.)
        assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
      } finally {
        release.countDown();
      }
    }
  }

  @Test
  void gracefulShutdownFinishesTheRequestInFlightAndRefusesNewConnections() throws Exception {
    CountDownLatch arrived = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (TestUpstream a = TestUpstream.start("a", (req, ex) -> {
          if (req.target().equals("/slow")) {
            arrived.countDown();
            awaitQuietly(release);
          }
          ex.respond(200, Map.of(), "done " + req.target());
        })) {
      try (GatewayFixture gw = GatewayFixture.start(listener("main", 0) + upstream("a", a.address(), "30s")
              + route("r", "/", "a"));
          RawConnection busy = RawConnection.open(gw.port());
          RawConnection idle = RawConnection.open(gw.port())) {
        int port = gw.port();
        idle.send("GET /first HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(idle.readResponse().body()).isEqualTo("done /first");
        busy.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();

        AtomicReference<Throwable> closeFailed = new AtomicReference<>();
        Thread closer = Thread.ofPlatform().name("closer").start(() -> {
          try {
            gw.gateway().close();
          } catch (Throwable t) {
            closeFailed.set(t);
          }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> refuses(port));
        // an idle keep-alive connection is closed at once; the busy one is not
        assertThat(idle.closedByPeer(Duration.ofSeconds(5))).isTrue();
        assertThat(closer.isAlive()).isTrue();

        release.countDown();
        RawConnection.Response r = busy.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("done /slow");
        assertThat(busy.closedByPeer(Duration.ofSeconds(5))).isTrue();
        closer.join(10_000);
        assertThat(closer.isAlive()).isFalse();
        assertThat(closeFailed.get()).isNull();
        assertThat(refuses(port)).isTrue();
        // and nothing is left open towards the upstream
        await().atMost(Duration.ofSeconds(5)).until(() -> a.openConnections() == 0);
      } finally {
        release.countDown();
      }
    }
  }

  @Test
  void shutdownCutsOffWhatIsStillRunningAfterTheDrainTimeout() throws Exception {
    CountDownLatch arrived = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (TestUpstream a = TestUpstream.start("a", (req, ex) -> {
          arrived.countDown();
          awaitQuietly(release);
          ex.respond(200, Map.of(), "too late");
        })) {
      String config = """
          apiVersion: sluice.io/v1
          kind: Listener
          metadata: {name: main}
          spec:
            address: 127.0.0.1:%d
            timeouts: {drain: 500ms}
          ---
          """.formatted(0) + upstream("a", a.address(), "30s") + route("r", "/", "a");
      try (GatewayFixture gw = GatewayFixture.start(config); RawConnection c = RawConnection.open(gw.port())) {
        c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
        long start = System.nanoTime();
        gw.gateway().close();
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(tookMs).isBetween(450L, 5000L);
        assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
        // the upstream, once it answers, finds its connection closed too
        release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> a.openConnections() == 0);
      } finally {
        release.countDown();
      }
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
