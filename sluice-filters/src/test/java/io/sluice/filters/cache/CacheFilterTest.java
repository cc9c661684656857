package io.sluice.filters.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@code cache} through the real proxy: what the upstream saw, and the exact responses. */
class CacheFilterTest {
  private static final String ROUTE = """
      match: {path: {prefix: /}}
      filters: [{kind: cache, config: {maxSize: 1MiB, maxEntrySize: 64KiB}}]
      """;

  /** An upstream answering {@code body-N} (N counts its requests) with the Cache-Control the path names. */
  private static TestUpstream upstream(AtomicInteger count) throws Exception {
    return TestUpstream.start("up", (req, ex) -> {
      int n = count.incrementAndGet();
      String t = req.target();
      Map<String, String> h = t.startsWith("/vary") ? Map.of("Cache-Control", "max-age=60", "Vary", "Accept-Language")
          : t.startsWith("/no-store") ? Map.of("Cache-Control", "no-store")
          : t.startsWith("/short") ? Map.of("Cache-Control", "max-age=1")
          : t.startsWith("/none") ? Map.of()
          : Map.of("Cache-Control", "public, max-age=60", "Content-Type", "text/plain");
      ex.respond(200, h, "body-" + n + (req.header("accept-language") == null ? "" : "-" + req.header("accept-language")));
    });
  }

  @Test
  void twoIdenticalGetsReachTheUpstreamOnceAndTheSecondIsAHit() throws Exception {
    AtomicInteger count = new AtomicInteger();
    try (TestUpstream up = upstream(count); GatewayFixture gw = Gateways.withRoute(up.address(), ROUTE)) {
      RawConnection.Response first = Gateways.get(gw, "/a?x=1");
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.body()).isEqualTo("body-1");
      assertThat(first.header("x-cache")).isEqualTo("MISS");
      RawConnection.Response second = Gateways.get(gw, "/a?x=1");
      assertThat(second.status()).isEqualTo(200);
      assertThat(second.body()).isEqualTo("body-1");
      assertThat(second.header("x-cache")).isEqualTo("HIT");
      assertThat(second.header("age")).isIn("0", "1");
      assertThat(second.header("cache-control")).isEqualTo("public, max-age=60");
      assertThat(second.header("content-type")).isEqualTo("text/plain");
      assertThat(second.header("content-length")).isEqualTo("6");
      RawConnection.Response head = Gateways.send(gw, "HEAD", "/a?x=1");
      assertThat(head.header("x-cache")).isEqualTo("HIT");
      assertThat(head.header("content-length")).isEqualTo("6");
      // Another query is another entry.
      assertThat(Gateways.get(gw, "/a?x=2").body()).isEqualTo("body-2");
      assertThat(count.get()).isEqualTo(2);
      assertThat(up.take().target()).isEqualTo("/a?x=1");
      assertThat(up.take().target()).isEqualTo("/a?x=2");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void varyHeadersSplitEntries() throws Exception {
    AtomicInteger count = new AtomicInteger();
    try (TestUpstream up = upstream(count); GatewayFixture gw = Gateways.withRoute(up.address(), ROUTE)) {
      assertThat(Gateways.get(gw, "/vary", "Accept-Language: en").body()).isEqualTo("body-1-en");
      RawConnection.Response de = Gateways.get(gw, "/vary", "Accept-Language: de");
      assertThat(de.body()).isEqualTo("body-2-de");
      assertThat(de.header("x-cache")).isEqualTo("MISS");
      RawConnection.Response en = Gateways.get(gw, "/vary", "Accept-Language: en");
      assertThat(en.body()).isEqualTo("body-1-en");
      assertThat(en.header("x-cache")).isEqualTo("HIT");
      assertThat(en.header("vary")).isEqualTo("Accept-Language");
      assertThat(Gateways.get(gw, "/vary", "Accept-Language: de").header("x-cache")).isEqualTo("HIT");
      assertThat(count.get()).isEqualTo(2);
    }
  }

  @Test
  void noStoreAndResponsesWithoutFreshnessAreNotCached() throws Exception {
    AtomicInteger count = new AtomicInteger();
    try (TestUpstream up = upstream(count); GatewayFixture gw = Gateways.withRoute(up.address(), ROUTE)) {
      assertThat(Gateways.get(gw, "/no-store").body()).isEqualTo("body-1");
      assertThat(Gateways.get(gw, "/no-store").body()).isEqualTo("body-2");
      assertThat(Gateways.get(gw, "/none").body()).isEqualTo("body-3");
      assertThat(Gateways.get(gw, "/none").header("x-cache")).isEqualTo("MISS");
      assertThat(count.get()).isEqualTo(4);
    }
  }

  @Test
  void aRequestWithNoCacheBypassesAHit() throws Exception {
    AtomicInteger count = new AtomicInteger();
    try (TestUpstream up = upstream(count); GatewayFixture gw = Gateways.withRoute(up.address(), ROUTE)) {
      assertThat(Gateways.get(gw, "/a").body()).isEqualTo("body-1");
      RawConnection.Response bypass = Gateways.get(gw, "/a", "Cache-Control: no-cache");
      assertThat(bypass.body()).isEqualTo("body-2");
      assertThat(bypass.header("x-cache")).isEqualTo("MISS");
      // no-cache stored the fresh response.
      assertThat(Gateways.get(gw, "/a").body()).isEqualTo("body-2");
      assertThat(count.get()).isEqualTo(2);
    }
  }

  @Test
  void aDefaultTtlCachesResponsesWithoutFreshness() throws Exception {
    AtomicInteger count = new AtomicInteger();
    try (TestUpstream up = upstream(count); GatewayFixture gw = Gateways.withRoute(up.address(), """
        match: {path: {prefix: /}}
        filters: [{kind: cache, config: {defaultTtl: 60s}}]
        """)) {
      assertThat(Gateways.get(gw, "/none").body()).isEqualTo("body-1");
      assertThat(Gateways.get(gw, "/none").header("x-cache")).isEqualTo("HIT");
      assertThat(count.get()).isEqualTo(1);
    }
  }

  @Test
  void anEntryExpiresAfterItsMaxAge() throws Exception {
    AtomicInteger count = new AtomicInteger();
    try (TestUpstream up = upstream(count); GatewayFixture gw = Gateways.withRoute(up.address(), ROUTE)) {
      assertThat(Gateways.get(gw, "/short").body()).isEqualTo("body-1");
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
          .until(() -> Gateways.get(gw, "/short").header("x-cache").equals("MISS"));
      assertThat(count.get()).isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void badConfigIsRefusedNamingTheField() throws Exception {
    assertThat(Configs.routeErrors("""
        - {kind: cache, config: {maxSize: 1KiB, maxEntrySize: 2KiB, defaultTtl: 0s, statuses: [200, 99]}}
        """)).containsExactly(
        "Route/r: spec.filters[0].config.maxEntrySize: larger than maxSize (1024 bytes)",
        "Route/r: spec.filters[0].config.defaultTtl: must be positive, e.g. 30s",
        "Route/r: spec.filters[0].config.statuses[1]: expected a status from 200 to 599, got 99");
  }
}
