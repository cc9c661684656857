package io.sluice.proxy.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each load-balancing policy through the proxy, over three real upstreams that answer with their
 * name. Counts are exact where the policy is deterministic; the random policies get bounds that a
 * correct implementation misses with a probability far below one in a billion.
 */
class LoadBalancingTest {
  private TestUpstream a;
  private TestUpstream b;
  private TestUpstream c;

  @BeforeEach
  void upstreams() throws IOException {
    a = TestUpstream.named("a");
    b = TestUpstream.named("b");
    c = TestUpstream.named("c");
  }

  @AfterEach
  void close() throws IOException {
    a.close();
    b.close();
    c.close();
  }

  /** A gateway over a, b and c with the given loadBalancer and weights. */
  private GatewayFixture gateway(String loadBalancer, int wa, int wb, int wc) throws Exception {
    return GatewayFixture.start("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: abc}
        spec:
          endpoints:
            - {address: "%s", weight: %d}
            - {address: "%s", weight: %d}
            - {address: "%s", weight: %d}
          loadBalancer: %s
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: all}
        spec:
          upstream: abc
        """.formatted(0, a.address(), wa, b.address(), wb, c.address(), wc, loadBalancer));
  }

  /** Sends {@code n} requests on one keep-alive connection (so one event loop, one balancer) and counts who answered. */
  private static Map<String, Integer> countOnOneConnection(GatewayFixture gw, int n, String... headerLines) throws IOException {
    Map<String, Integer> counts = new HashMap<>();
    try (RawConnection conn = RawConnection.open(gw.port())) {
      for (int i = 0; i < n; i++) {
        String who = send(conn, "/r/" + i, headerLines);
        counts.merge(who, 1, Integer::sum);
      }
    }
    return counts;
  }

  private static String send(RawConnection conn, String target, String... headerLines) throws IOException {
    StringBuilder req = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\nHost: lb\r\n");
    for (String h : headerLines) req.append(h).append("\r\n");
    conn.send(req.append("\r\n").toString());
    RawConnection.Response r = conn.readResponse();
    assertThat(r.status()).isEqualTo(200);
    return r.body();
  }

  /** One request on a new connection: connections are spread over the event loops, and each loop has its own balancer. */
  private static String sendOnNewConnection(GatewayFixture gw, String target, String... headerLines) throws IOException {
    try (RawConnection conn = RawConnection.open(gw.port())) {
      return send(conn, target, headerLines);
    }
  }

  @Test
  void roundRobinSplitsExactlyEvenly() throws Exception {
    try (GatewayFixture gw = gateway("{policy: round-robin}", 5, 1, 1)) {
      assertThat(countOnOneConnection(gw, 300)).isEqualTo(Map.of("a", 100, "b", 100, "c", 100));
    }
  }

  @Test
  void roundRobinTakesEachEndpointInTurn() throws Exception {
    try (GatewayFixture gw = gateway("{}", 1, 1, 1); RawConnection conn = RawConnection.open(gw.port())) {
      String first = send(conn, "/");
      List<String> order = List.of("a", "b", "c");
      int at = order.indexOf(first);
      for (int i = 1; i < 30; i++) {
        assertThat(send(conn, "/")).isEqualTo(order.get((at + i) % 3));
      }
    }
  }

  @Test
  void weightedRoundRobinSplitsExactlyByWeight() throws Exception {
    try (GatewayFixture gw = gateway("{policy: weighted-round-robin}", 3, 1, 1)) {
      assertThat(countOnOneConnection(gw, 500)).isEqualTo(Map.of("a", 300, "b", 100, "c", 100));
    }
  }

  @Test
  void weightedRoundRobinIsExactInEveryCycle() throws Exception {
    try (GatewayFixture gw = gateway("{policy: weighted-round-robin}", 3, 1, 1); RawConnection conn = RawConnection.open(gw.port())) {
      for (int cycle = 0; cycle < 20; cycle++) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 5; i++) counts.merge(send(conn, "/"), 1, Integer::sum);
        assertThat(counts).isEqualTo(Map.of("a", 3, "b", 1, "c", 1));
      }
    }
  }

  @Test
  void randomIsProportionalToWeight() throws Exception {
    try (GatewayFixture gw = gateway("{policy: random}", 2, 1, 1)) {
      Map<String, Integer> counts = countOnOneConnection(gw, 800);
      // expected 400 / 200 / 200, standard deviations about 14 / 12 / 12: these bounds are over 7 of them away
      assertThat(counts.get("a")).isBetween(300, 500);
      assertThat(counts.get("b")).isBetween(110, 290);
      assertThat(counts.get("c")).isBetween(110, 290);
    }
  }

  @Test
  void leastRequestSpreadsSequentialRequestsProportionally() throws Exception {
    try (GatewayFixture gw = gateway("{policy: least-request}", 1, 1, 1)) {
      Map<String, Integer> counts = countOnOneConnection(gw, 600);
      // with nothing in flight every pick is a tie, won by a random draw: about 200 each (sd about 12)
      for (String up : List.of("a", "b", "c")) assertThat(counts.get(up)).as(up).isBetween(110, 290);
    }
  }

  @Test
  void leastRequestAvoidsAnEndpointWithARequestInFlight() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch slowArrived = new CountDownLatch(1);
    a.close();
    a = TestUpstream.start("a", (req, ex) -> {
      if (req.target().equals("/slow")) {
        slowArrived.countDown();
        try {
          release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      ex.respond(200, Map.of(), "a");
    });
    try (GatewayFixture gw = gateway("{policy: least-request}", 1, 1, 1)) {
      // Park one request on a: send /slow until it lands there (the other endpoints answer at once).
      RawConnection parked = null;
      for (int i = 0; i < 200 && parked == null; i++) {
        RawConnection conn = RawConnection.open(gw.port());
        conn.send("GET /slow HTTP/1.1\r\nHost: lb\r\n\r\n");
        // b and c answer at once; a holds the request
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).pollInterval(java.time.Duration.ofMillis(5))
            .until(() -> slowArrived.getCount() == 0 || conn.input().available() > 0);
        if (slowArrived.getCount() == 0) {
          parked = conn;
        } else {
          assertThat(conn.readResponse().body()).isIn("b", "c");
          conn.close();
        }
      }
      assertThat(parked).as("a request parked on a").isNotNull();
      try (RawConnection p = parked) {
        // Two distinct draws: a, with one request in flight, always loses to the other, with none.
        Map<String, Integer> counts = countOnOneConnection(gw, 200);
        assertThat(counts).doesNotContainKey("a");
        assertThat(counts.get("b") + counts.get("c")).isEqualTo(200);
        release.countDown();
        assertThat(p.readResponse().body()).isEqualTo("a");
      }
    } finally {
      release.countDown();
    }
  }

  @Test
  void ipHashSendsOneClientToOneEndpointFromEveryEventLoop() throws Exception {
    try (GatewayFixture gw = gateway("{policy: ip-hash}", 1, 1, 1)) {
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < 40; i++) seen.add(sendOnNewConnection(gw, "/x/" + i));
      assertThat(seen).hasSize(1);
    }
  }

  @Test
  void headerHashIsStickyPerKeyAndSpreadsKeys() throws Exception {
    try (GatewayFixture gw = gateway("{policy: header-hash, hashHeader: X-User}", 1, 1, 1)) {
      assertStickyAndSpread(gw, "X-User");
    }
  }

  @Test
  void ringHashOnAHeaderIsStickyPerKeyAndSpreadsKeys() throws Exception {
    try (GatewayFixture gw = gateway("{policy: ring-hash, hashOn: header, hashHeader: x-session}", 1, 1, 1)) {
      assertStickyAndSpread(gw, "X-Session");
    }
  }

  @Test
  void maglevOnAHeaderIsStickyPerKeyAndSpreadsKeys() throws Exception {
    try (GatewayFixture gw = gateway("{policy: maglev, hashOn: header, hashHeader: X-Session}", 1, 1, 1)) {
      assertStickyAndSpread(gw, "x-session");
    }
  }

  @Test
  void ringHashAndMaglevOnTheClientIpAndOnThePathAreSticky() throws Exception {
    for (String lb : List.of("{policy: ring-hash}", "{policy: maglev}")) {
      try (GatewayFixture gw = gateway(lb, 1, 1, 1)) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) seen.add(sendOnNewConnection(gw, "/p/" + i));
        assertThat(seen).as(lb).hasSize(1);
      }
    }
    for (String lb : List.of("{policy: ring-hash, hashOn: path}", "{policy: maglev, hashOn: path}")) {
      try (GatewayFixture gw = gateway(lb, 1, 1, 1)) {
        Map<String, String> byPath = new HashMap<>();
        for (int i = 0; i < 60; i++) byPath.put("/p/" + i, sendOnNewConnection(gw, "/p/" + i));
        for (int i = 0; i < 60; i += 7) {
          assertThat(sendOnNewConnection(gw, "/p/" + i + "?query=ignored")).as(lb + " /p/" + i).isEqualTo(byPath.get("/p/" + i));
        }
        assertThat(new HashSet<>(byPath.values())).as(lb).containsExactlyInAnyOrder("a", "b", "c");
      }
    }
  }

  @Test
  void aHashPolicyWithoutItsHeaderFallsBackToRoundRobin() throws Exception {
    try (GatewayFixture gw = gateway("{policy: header-hash, hashHeader: X-User}", 1, 1, 1)) {
      assertThat(countOnOneConnection(gw, 30)).isEqualTo(Map.of("a", 10, "b", 10, "c", 10));
    }
  }

  /** Each of 60 keys goes to the same endpoint on every request, whatever the connection; the keys reach all three. */
  private static void assertStickyAndSpread(GatewayFixture gw, String header) throws IOException {
    Map<String, String> byKey = new HashMap<>();
    for (int k = 0; k < 60; k++) {
      String key = "user-" + k;
      byKey.put(key, sendOnNewConnection(gw, "/", header + ": " + key));
    }
    try (RawConnection conn = RawConnection.open(gw.port())) {
      for (int round = 0; round < 3; round++) {
        for (int k = 0; k < 60; k++) {
          String key = "user-" + k;
          assertThat(send(conn, "/other/" + round, header + ": " + key)).as(key).isEqualTo(byKey.get(key));
        }
      }
    }
    for (int k = 0; k < 60; k += 5) {
      String key = "user-" + k;
      assertThat(sendOnNewConnection(gw, "/", header + ": " + key)).as(key).isEqualTo(byKey.get(key));
    }
    assertThat(new HashSet<>(byKey.values())).containsExactlyInAnyOrder("a", "b", "c");
  }
}
