package io.sluice.filters.mirror;

import static io.sluice.filters.testing.Gateways.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MirrorFilterTest {
  /** An Upstream named {@code shadow} at {@code address}. */
  private static String shadow(String address) {
    return """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: shadow}
        spec:
          endpoints: [{address: "%s"}]
          timeouts: {connect: 2s, response: 30s}
        ---
        """.formatted(address);
  }

  /** Routes {@code /plain} (no filters) and everything else through {@code mirror} with {@code config}. */
  private static GatewayFixture gateway(TestUpstream main, String shadowAddress, String config) throws Exception {
    return Gateways.start(main.address(), shadow(shadowAddress)
        + Gateways.route("plain", "match: {path: {prefix: /plain}}")
        + Gateways.route("mirrored", "filters: [{kind: mirror, config: " + config + "}]"));
  }

  @Test
  void theShadowGetsACopyOfTheRequestAndTheClientTheMainResponse() throws Exception {
    try (TestUpstream main = Gateways.okUpstream();
        TestUpstream copy = TestUpstream.start("shadow", (req, ex) -> ex.respond(500, Map.of(), "shadow says no"));
        GatewayFixture gw = gateway(main, copy.address(), "{upstream: shadow}")) {
      RawConnection.Response r = get(gw, "/orders/7?expand=items", "X-Custom: a", "X-Forwarded-For: 192.0.2.9",
          "X-Sluice-Mirror: forged");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok");
      TestUpstream.Received original = main.take();
      assertThat(original.target()).isEqualTo("/orders/7?expand=items");
      assertThat(original.header("x-custom")).isEqualTo("a");

      TestUpstream.Received mirrored = copy.take();
      assertThat(mirrored.method()).isEqualTo("GET");
      assertThat(mirrored.target()).isEqualTo("/orders/7?expand=items");
      assertThat(mirrored.header("host")).isEqualTo(copy.address());
      assertThat(Gateways.values(mirrored, "x-custom")).containsExactly("a");
      assertThat(Gateways.values(mirrored, "x-sluice-mirror")).containsExactly("1");
      assertThat(Gateways.values(mirrored, "x-forwarded-host")).containsExactly("test.local");
      assertThat(Gateways.values(mirrored, "x-forwarded-proto")).containsExactly("http");
      assertThat(Gateways.values(mirrored, "x-forwarded-for")).containsExactly("192.0.2.9, 127.0.0.1");
      assertThat(mirrored.bodyLength()).isZero();
    }
  }

  @Test
  void withMirrorBodyTheBodyIsCopiedToo() throws Exception {
    try (TestUpstream main = Gateways.okUpstream();
        TestUpstream copy = TestUpstream.start("shadow", (req, ex) -> ex.respond(204, Map.of(), ""));
        GatewayFixture gw = gateway(main, copy.address(), "{upstream: shadow, mirrorBody: true, maxBodySize: 1KiB}")) {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("POST /orders HTTP/1.1\r\nHost: shop.test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "7\r\n{\"id\":7\r\n1\r\n}\r\n0\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok");
      }
      TestUpstream.Received original = main.take();
      assertThat(original.bodyText()).isEqualTo("{\"id\":7}");
      TestUpstream.Received mirrored = copy.take();
      assertThat(mirrored.method()).isEqualTo("POST");
      assertThat(mirrored.target()).isEqualTo("/orders");
      assertThat(mirrored.header("content-type")).isEqualTo("application/json");
      assertThat(mirrored.header("content-length")).isEqualTo("8");
      assertThat(mirrored.header("transfer-encoding")).isNull();
      assertThat(mirrored.bodyText()).isEqualTo("{\"id\":7}");
      assertThat(mirrored.header("x-forwarded-host")).isEqualTo("shop.test");
    }
  }

  @Test
  void withoutMirrorBodyRequestsWithABodyAreNotMirroredAndStreamAsUsual() throws Exception {
    try (TestUpstream main = Gateways.okUpstream();
        TestUpstream copy = TestUpstream.start("shadow", (req, ex) -> ex.respond(200, Map.of(), ""));
        GatewayFixture gw = gateway(main, copy.address(), "{upstream: shadow}")) {
      try (RawConnection c = RawConnection.open(gw.port())) {
        c.send("PUT /with-body HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
        assertThat(c.readResponse().status()).isEqualTo(200);
      }
      assertThat(main.take().bodyText()).isEqualTo("hello");
      assertThat(get(gw, "/after").status()).isEqualTo(200);
      // the first copy the shadow gets is the bodyless request's
      assertThat(copy.take().target()).isEqualTo("/after");
      assertThat(copy.received()).isEmpty();
    }
  }

  @Test
  void aHangingShadowChangesNothingForTheClient() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (TestUpstream main = Gateways.okUpstream();
        TestUpstream copy = TestUpstream.start("shadow", (req, ex) -> {
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.respond(200, Map.of(), "late");
        });
        GatewayFixture gw = gateway(main, copy.address(), "{upstream: shadow}")) {
      RawConnection.Response plain = get(gw, "/plain/x");
      for (int i = 0; i < 3; i++) {
        RawConnection.Response r = get(gw, "/x/" + i);
        assertThat(r.statusLine()).isEqualTo(plain.statusLine());
        assertThat(r.headers()).isEqualTo(plain.headers());
        assertThat(r.body()).isEqualTo(plain.body()).isEqualTo("ok");
      }
      // The shadow has every copy and has answered none of them: the client did not wait for it.
      List<String> copies = new ArrayList<>();
      for (int i = 0; i < 3; i++) copies.add(copy.take().target());
      assertThat(copies).containsExactlyInAnyOrder("/x/0", "/x/1", "/x/2");
      assertThat(release.getCount()).isEqualTo(1);
      release.countDown();
    }
  }

  @Test
  void aShadowThatIsDownChangesNothingForTheClient() throws Exception {
    try (TestUpstream main = Gateways.okUpstream();
        GatewayFixture gw = gateway(main, "127.0.0.1:" + GatewayFixture.closedPort(), "{upstream: shadow}")) {
      RawConnection.Response plain = get(gw, "/plain");
      for (int i = 0; i < 5; i++) {
        RawConnection.Response r = get(gw, "/x");
        assertThat(r.statusLine()).isEqualTo(plain.statusLine());
        assertThat(r.headers()).isEqualTo(plain.headers());
        assertThat(r.body()).isEqualTo("ok");
      }
      assertThat(main.received()).hasSize(6);
    }
  }

  @Test
  void copiesBeyondMaxInFlightAreDropped() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (TestUpstream main = Gateways.okUpstream();
        TestUpstream copy = TestUpstream.start("shadow", (req, ex) -> {
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.respond(200, Map.of(), "");
        });
        GatewayFixture gw = gateway(main, copy.address(), "{upstream: shadow, maxInFlight: 1, timeout: 30s}")) {
      assertThat(get(gw, "/1").status()).isEqualTo(200);
      assertThat(copy.take().target()).isEqualTo("/1");
      // /1 holds the only slot: these two are not copied
      assertThat(get(gw, "/2").status()).isEqualTo(200);
      assertThat(get(gw, "/3").status()).isEqualTo(200);
      release.countDown();
      // Once /1's copy is answered the slot is free again; the next copy to arrive is a probe, never /2 or /3.
      AtomicInteger probe = new AtomicInteger();
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        get(gw, "/probe-" + probe.incrementAndGet());
        return !copy.received().isEmpty();
      });
      assertThat(copy.take().target()).startsWith("/probe-");
      assertThat(main.received()).hasSize(3 + probe.get());
    }
  }

  @Test
  void onlyThePercentageOfRequestsIsMirrored() throws Exception {
    try (TestUpstream main = Gateways.okUpstream();
        TestUpstream copy = TestUpstream.start("shadow", (req, ex) -> ex.respond(200, Map.of(), ""));
        GatewayFixture gw = Gateways.start(main.address(), shadow(copy.address())
            + Gateways.route("none", "match: {path: {prefix: /none}}\nfilters: [{kind: mirror, config: {upstream: shadow, percentage: 0}}]")
            + Gateways.route("half", "match: {path: {prefix: /half}}\nfilters: [{kind: mirror, config: {upstream: shadow, percentage: 50}}]")
            + Gateways.route("all", "match: {path: {prefix: /all}}\nfilters: [{kind: mirror, config: {upstream: shadow}}]"))) {
      for (int i = 0; i < 50; i++) assertThat(gw.get(gw.port(), "/none").statusCode()).isEqualTo(200);
      // a copy through the 100% route marks the end of the copies sent before it
      assertThat(gw.get(gw.port(), "/all/mark-1").statusCode()).isEqualTo(200);
      assertThat(copy.take().target()).isEqualTo("/all/mark-1");
      assertThat(copy.received()).isEmpty();

      int n = 200;
      for (int i = 0; i < n; i++) assertThat(gw.get(gw.port(), "/half/" + i).statusCode()).isEqualTo(200);
      assertThat(gw.get(gw.port(), "/all/mark-2").statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10))
          .until(() -> copy.received().stream().anyMatch(r -> r.target().equals("/all/mark-2")));
      long half = copy.received().stream().filter(r -> r.target().startsWith("/half/")).count();
      // Binomial(200, 0.5): 60..140 is 5.6 deviations each way; ignoring the percentage gives 200.
      assertThat(half).isBetween(60L, 140L);
      assertThat(main.received()).hasSize(50 + 1 + n + 1);
    }
  }

  @Test
  void badConfigsAndUnknownUpstreamsAreRefused() throws Exception {
    assertThat(Configs.routeErrors("""
        - {kind: mirror}
        - {kind: mirror, config: {upstream: shadow, percentage: 120, maxInFlight: 0, timeout: 0s}}
        - {kind: mirror, config: {upstream: ghost}}
        """)).containsExactly(
        "Route/r: spec.filters[0].config.upstream: missing; expected the name of an Upstream",
        "Route/r: spec.filters[1].config.percentage: expected 0 to 100, got 120.0",
        "Route/r: spec.filters[1].config.maxInFlight: expected at least 1, got 0",
        "Route/r: spec.filters[1].config.timeout: expected a duration above zero, got PT0S",
        "Route/r: spec.filters[2].config.upstream: Upstream 'ghost' does not exist");
  }
}
