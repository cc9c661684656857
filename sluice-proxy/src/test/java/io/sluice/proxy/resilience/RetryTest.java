package io.sluice.proxy.resilience;

import static io.sluice.proxy.resilience.Configs.route;
import static io.sluice.proxy.resilience.Configs.upstream;
import static io.sluice.proxy.resilience.Configs.withListener;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.RawUpstream;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Retries through the real proxy: which failures, which methods and bodies, where to, how many times. */
class RetryTest {
  private static TestUpstream answering(String name, int status) throws IOException {
    return TestUpstream.start(name, (req, ex) -> ex.respond(status, Map.of("Content-Type", "text/plain"), name + " " + status));
  }

  private static TestUpstream resetting(String name) throws IOException {
    return TestUpstream.start(name, (req, ex) -> ex.reset());
  }

  private static GatewayFixture gateway(String upstreamSpec, String routeSpec) throws Exception {
    return GatewayFixture.start(withListener(upstream("backend", upstreamSpec) + route("all", routeSpec)));
  }

  private static String endpoints(TestUpstream... ups) {
    StringBuilder sb = new StringBuilder("  endpoints: [");
    for (int i = 0; i < ups.length; i++) sb.append(i == 0 ? "" : ", ").append("{address: \"").append(ups[i].address()).append("\"}");
    return sb.append("]\n  timeouts: {connect: 2s, response: 5s}\n").toString();
  }

  private static RawConnection.Response send(GatewayFixture gw, String request) throws IOException {
    try (RawConnection c = RawConnection.open(gw.port())) {
      c.send(request);
      return c.readResponse();
    }
  }

  private static RawConnection.Response get(GatewayFixture gw, String target) throws IOException {
    return send(gw, "GET " + target + " HTTP/1.1\r\nHost: shop\r\n\r\n");
  }

  /** Request ids received by an upstream, draining what it received. */
  private static List<String> requestIds(TestUpstream u) {
    List<TestUpstream.Received> all = new ArrayList<>();
    u.received().drainTo(all);
    return all.stream().map(r -> r.header("x-request-id")).toList();
  }

  @Test
  void retryOfAFailedStatusGoesToTheOtherEndpointEvenWhenTheBalancerWouldPickTheSameOne() throws Exception {
    // ip-hash sends every request from 127.0.0.1 to one endpoint: only the exclusion of tried
    // endpoints sends the retry to the other.
    try (TestUpstream a = answering("a", 503);
        TestUpstream b = answering("b", 503);
        GatewayFixture gw = gateway(endpoints(a, b) + "  loadBalancer: {policy: ip-hash}\n"
            + "  retries: {attempts: 2, statuses: [503], backoff: {base: 1ms, max: 5ms}}", "  upstream: backend")) {
      for (int i = 0; i < 10; i++) {
        RawConnection.Response r = get(gw, "/r/" + i);
        // Both endpoints fail: the second attempt's response is the client's.
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.body()).isIn("a 503", "b 503");
        assertThat(r.hasHeader("x-sluice-reason")).isFalse();
      }
      // Every request was tried once on each endpoint, never twice on one: each id exactly once per endpoint.
      List<String> atA = requestIds(a);
      List<String> atB = requestIds(b);
      assertThat(atA).hasSize(10).doesNotHaveDuplicates();
      assertThat(new HashSet<>(atB)).isEqualTo(new HashSet<>(atA));
      assertThat(atB).hasSize(10);
    }
  }

  @Test
  void retryTurnsAFailureIntoTheOtherEndpointsSuccess() throws Exception {
    try (TestUpstream a = answering("a", 503);
        TestUpstream b = answering("b", 200);
        GatewayFixture gw = gateway(endpoints(a, b) + "  retries: {attempts: 2, statuses: [503], backoff: {base: 1ms, max: 5ms}}",
            "  upstream: backend")) {
      for (int i = 0; i < 10; i++) {
        RawConnection.Response r = get(gw, "/r/" + i);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("b 200");
      }
      assertThat(b.received()).hasSize(10);
      assertThat(a.received().size()).isBetween(1, 10);
    }
  }

  @Test
  void onlyTheListedStatusesAreRetriedAndAtMostAttemptsTimes() throws Exception {
    try (TestUpstream only = answering("only", 500);
        GatewayFixture gw = gateway(endpoints(only) + "  retries: {attempts: 3, statuses: [503], backoff: {base: 1ms, max: 5ms}}",
            "  upstream: backend")) {
      RawConnection.Response r = get(gw, "/500");
      assertThat(r.status()).isEqualTo(500);
      assertThat(r.body()).isEqualTo("only 500");
      assertThat(only.received()).hasSize(1);
    }
    try (TestUpstream only = answering("only", 503);
        GatewayFixture gw = gateway(endpoints(only) + "  retries: {attempts: 3, statuses: [503], backoff: {base: 1ms, max: 5ms}}",
            "  upstream: backend")) {
      RawConnection.Response r = get(gw, "/503");
      // With no other endpoint the same one is tried again; the third answer goes to the client.
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.body()).isEqualTo("only 503");
      // Three attempts of one request: the same X-Request-Id each time.
      List<String> ids = requestIds(only);
      assertThat(ids).hasSize(3);
      assertThat(new HashSet<>(ids)).hasSize(1);
    }
  }

  @Test
  void connectFailureIsRetriedOnAnotherEndpointEvenForAPost() throws Exception {
    int dead = GatewayFixture.closedPort();
    try (TestUpstream b = answering("b", 200);
        GatewayFixture gw = gateway("  endpoints: [{address: \"127.0.0.1:" + dead + "\"}, {address: \"" + b.address() + "\"}]\n"
            + "  retries: {attempts: 2, backoff: {base: 1ms, max: 5ms}}", "  upstream: backend")) {
      for (int i = 0; i < 6; i++) {
        RawConnection.Response r = send(gw, "POST /orders HTTP/1.1\r\nHost: shop\r\nContent-Length: 5\r\n\r\nhello");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("b 200");
      }
      for (int i = 0; i < 6; i++) assertThat(b.take().bodyText()).isEqualTo("hello");
    }
  }

  @Test
  void resetBeforeTheResponseIsRetriedForAGet() throws Exception {
    try (TestUpstream a = resetting("a");
        TestUpstream b = answering("b", 200);
        GatewayFixture gw = gateway(endpoints(a, b) + "  retries: {attempts: 2, retryOn: [reset], backoff: {base: 1ms, max: 5ms}}",
            "  upstream: backend")) {
      for (int i = 0; i < 6; i++) {
        RawConnection.Response r = get(gw, "/g/" + i);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("b 200");
      }
    }
  }

  @Test
  void aRetryThatSucceedsIsCountedAsItsSuccessNotAsTheFailureBeforeIt() throws Exception {
    try (TestUpstream a = resetting("a");
        TestUpstream b = answering("b", 200);
        GatewayFixture gw = gateway(endpoints(a, b) + "  loadBalancer: {policy: round-robin}\n"
            + "  retries: {attempts: 2, retryOn: [reset], backoff: {base: 1ms, max: 5ms}}", "  upstream: backend")) {
      for (int i = 0; i < 4; i++) assertThat(get(gw, "/g/" + i).status()).isEqualTo(200);
      // The loop records an exchange just after its response went out: wait for the fourth.
      await().untilAsserted(() -> assertThat(metrics(gw)).contains("sluice_requests_total{listener=\"main\",code=\"200\",class=\"2xx\"} 4\n"));
      String metrics = metrics(gw);
      // The client got four 200s: no gateway error on the listener or the route...
      assertThat(metrics).doesNotContain("sluice_gateway_errors_total{listener=\"main\"")
          .doesNotContain("sluice_route_gateway_errors_total{route=\"all\"");
      // ...while the endpoint that reset still has its failures, and the one that answered none.
      assertThat(metrics).containsPattern("sluice_upstream_errors_total\\{upstream=\"backend\",endpoint=\""
          + java.util.regex.Pattern.quote(a.address()) + "\",reason=\"upstream_reset\"} [1-9]")
          .doesNotContain("endpoint=\"" + b.address() + "\",reason=");
    }
  }

  private static String metrics(GatewayFixture gw) throws IOException {
    StringBuilder sb = new StringBuilder();
    gw.gateway().metrics().writePrometheus(sb);
    return sb.toString();
  }

  @Test
  void resetIsNotRetriedWhenRetryOnLeavesItOut() throws Exception {
    try (TestUpstream a = resetting("a");
        GatewayFixture gw = gateway(endpoints(a) + "  retries: {attempts: 3, retryOn: [connect-failure]}", "  upstream: backend")) {
      RawConnection.Response r = get(gw, "/g");
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.header("x-sluice-reason")).isEqualTo("upstream_reset");
      assertThat(a.received()).hasSize(1);
    }
  }

  private static final String CHUNKED_POST = "POST /orders HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n"
      + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

  @Test
  void postWithAStreamedBodyIsNotRetriedUnlessConfigured() throws Exception {
    try (TestUpstream a = answering("a", 503);
        TestUpstream b = answering("b", 503);
        GatewayFixture gw = gateway(endpoints(a, b) + "  retries: {attempts: 3, statuses: [503], backoff: {base: 1ms, max: 5ms}}",
            "  upstream: backend")) {
      RawConnection.Response r = send(gw, CHUNKED_POST);
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.body()).isIn("a 503", "b 503");
      // Exactly one attempt, at the endpoint whose answer the client got.
      TestUpstream tried = r.body().startsWith("a") ? a : b;
      TestUpstream other = tried == a ? b : a;
      assertThat(tried.take().bodyText()).isEqualTo("hello world");
      assertThat(tried.received()).isEmpty();
      assertThat(other.received()).isEmpty();
    }
  }

  @Test
  void postReachingAResettingUpstreamGetsTheGatewayErrorAfterOneAttempt() throws Exception {
    try (TestUpstream a = resetting("a");
        GatewayFixture gw = gateway(endpoints(a) + "  retries: {attempts: 3, backoff: {base: 1ms, max: 5ms}}", "  upstream: backend")) {
      RawConnection.Response r = send(gw, CHUNKED_POST);
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.header("x-sluice-reason")).isEqualTo("upstream_reset");
      assertThat(a.take().bodyText()).isEqualTo("hello world");
      assertThat(a.received().poll(300, TimeUnit.MILLISECONDS)).isNull();
    }
  }

  @Test
  void postWithAStreamedBodyIsRetriedWhenConfiguredAndTheBodyIsReplayedWhole() throws Exception {
    try (TestUpstream a = answering("a", 503);
        TestUpstream b = answering("b", 200);
        GatewayFixture gw = gateway(endpoints(a, b) + "  retries: {attempts: 2, statuses: [503], retryNonIdempotent: true, "
            + "backoff: {base: 1ms, max: 5ms}}", "  upstream: backend")) {
      for (int i = 0; i < 4; i++) {
        RawConnection.Response r = send(gw, CHUNKED_POST);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("b 200");
        TestUpstream.Received atB = b.take();
        assertThat(atB.bodyText()).isEqualTo("hello world");
        assertThat(atB.header("transfer-encoding")).isEqualTo("chunked");
      }
      TestUpstream.Received atA = a.take();
      assertThat(atA.bodyText()).isEqualTo("hello world");
    }
  }

  @Test
  void bodyLongerThanTheReplayBufferIsNotRetriedOnceSent() throws Exception {
    byte[] big = new byte[8192];
    java.util.Arrays.fill(big, (byte) 'x');
    try (TestUpstream a = answering("a", 503);
        TestUpstream b = answering("b", 503);
        GatewayFixture gw = gateway(endpoints(a, b) + "  retries: {attempts: 3, statuses: [503], retryNonIdempotent: true, "
            + "replayBufferLimit: 1KiB, backoff: {base: 1ms, max: 5ms}}", "  upstream: backend")) {
      RawConnection.Response r;
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("PUT /blob HTTP/1.1\r\nHost: shop\r\nContent-Length: " + big.length + "\r\n\r\n");
        c.send(big);
        r = c.readResponse();
      }
      assertThat(r.status()).isEqualTo(503);
      assertThat(a.received().size() + b.received().size()).isEqualTo(1);
    }
  }

  @Test
  void putWithinTheReplayBufferIsRetriedWithItsBody() throws Exception {
    try (TestUpstream a = answering("a", 503);
        TestUpstream b = answering("b", 200);
        GatewayFixture gw = gateway(endpoints(a, b) + "  retries: {attempts: 2, statuses: [503], backoff: {base: 1ms, max: 5ms}}",
            "  upstream: backend")) {
      for (int i = 0; i < 4; i++) {
        RawConnection.Response r = send(gw, "PUT /doc HTTP/1.1\r\nHost: shop\r\nContent-Length: 11\r\n\r\nhello world");
        assertThat(r.status()).isEqualTo(200);
        TestUpstream.Received atB = b.take();
        assertThat(atB.bodyText()).isEqualTo("hello world");
        assertThat(atB.header("content-length")).isEqualTo("11");
      }
    }
  }

  @Test
  void routeRetryPolicyReplacesTheUpstreams() throws Exception {
    try (TestUpstream a = answering("a", 503);
        TestUpstream b = answering("b", 200);
        GatewayFixture gw = GatewayFixture.start(withListener(upstream("backend", endpoints(a, b))
            + route("retrying", "  match: {path: {prefix: /retrying}}\n  upstream: backend\n"
                + "  retries: {attempts: 2, statuses: [503], backoff: {base: 1ms, max: 5ms}}")
            + route("plain", "  upstream: backend")))) {
      for (int i = 0; i < 6; i++) assertThat(get(gw, "/retrying/" + i).status()).isEqualTo(200);
      Set<Integer> plain = new HashSet<>();
      for (int i = 0; i < 6; i++) plain.add(get(gw, "/plain/" + i).status());
      assertThat(plain).contains(503);
    }
  }

  @Test
  void emptyRetryBudgetStopsRetries() throws Exception {
    try (TestUpstream a = answering("a", 503);
        TestUpstream b = answering("b", 503);
        GatewayFixture gw = gateway(endpoints(a, b) + "  retries: {attempts: 3, statuses: [503], budget: {percent: 0, minConcurrency: 0}}",
            "  upstream: backend")) {
      for (int i = 0; i < 4; i++) assertThat(get(gw, "/b/" + i).status()).isEqualTo(503);
      assertThat(a.received().size() + b.received().size()).isEqualTo(4);
    }
  }

  @Test
  void responseTimeoutIsRetriedAndTheSlowResponseIsNeverForwarded() throws Exception {
    AtomicInteger slowCalls = new AtomicInteger();
    try (TestUpstream slow = TestUpstream.start("slow", (req, ex) -> {
          slowCalls.incrementAndGet();
          try {
            Thread.sleep(1500);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.respond(200, Map.of(), "slow");
        });
        TestUpstream fast = answering("fast", 200);
        GatewayFixture gw = GatewayFixture.start(withListener(upstream("backend", """
              endpoints: [{address: "%s"}, {address: "%s"}]
              timeouts: {response: 10s}
              retries: {attempts: 2, retryOn: [timeout], backoff: {base: 1ms, max: 5ms}}
            """.formatted(slow.address(), fast.address()))
            + route("all", "  upstream: backend\n  timeouts: {upstreamResponse: 200ms}")))) {
      for (int i = 0; i < 4; i++) {
        RawConnection.Response r = get(gw, "/t/" + i);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("fast 200");
      }
      assertThat(fast.received()).hasSize(4);
      assertThat(slowCalls.get()).isBetween(1, 4);
    }
  }

  @Test
  void rawUpstreamSeesTheRetriedRequestOnANewConnection() throws Exception {
    try (RawUpstream raw = RawUpstream.start();
        GatewayFixture gw = gateway("  endpoints: [{address: \"" + raw.address() + "\"}]\n"
            + "  retries: {attempts: 2, statuses: [503], backoff: {base: 1ms, max: 5ms}}", "  upstream: backend");
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /x HTTP/1.1\r\nHost: shop\r\n\r\n");
      try (RawUpstream.Conn first = raw.accept()) {
        String head = first.readHead();
        assertThat(head).startsWith("GET /x HTTP/1.1\r\n");
        first.write("HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy");
        // The dropped response's connection is closed by the gateway.
        assertThat(first.input().read()).isEqualTo(-1);
      }
      try (RawUpstream.Conn second = raw.accept()) {
        assertThat(second.readHead()).startsWith("GET /x HTTP/1.1\r\n");
        second.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok");
      }
    }
  }
}
