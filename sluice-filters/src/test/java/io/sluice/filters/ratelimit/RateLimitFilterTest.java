package io.sluice.filters.ratelimit;

import static io.sluice.filters.testing.Gateways.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Consumers;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RateLimitFilterTest {
  @Test
  void allowsTheBurstThenAnswers429WithRetryAfterAndRateLimitHeaders() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.withRoute(up.address(), "filters: [{kind: rate-limit, config: {requests: 2, per: 1m}}]")) {
      RawConnection.Response first = get(gw, "/");
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.header("ratelimit-limit")).isEqualTo("2");
      assertThat(first.header("ratelimit-remaining")).isEqualTo("1");
      assertThat(first.header("ratelimit-reset")).isEqualTo("30");
      RawConnection.Response second = get(gw, "/");
      assertThat(second.status()).isEqualTo(200);
      assertThat(second.header("ratelimit-remaining")).isEqualTo("0");
      assertThat(second.header("ratelimit-reset")).isEqualTo("60");
      RawConnection.Response third = get(gw, "/");
      assertThat(third.status()).isEqualTo(429);
      assertThat(third.statusLine()).isEqualTo("HTTP/1.1 429 Too Many Requests");
      assertThat(third.headers()).containsExactly(
          Map.entry("Content-Type", "application/json"),
          Map.entry("X-Sluice-Reason", "rate_limited"),
          Map.entry("Retry-After", "30"),
          Map.entry("RateLimit-Limit", "2"),
          Map.entry("RateLimit-Remaining", "0"),
          Map.entry("RateLimit-Reset", "60"),
          Map.entry("Content-Length", "85"));
      assertThat(third.body()).isEqualTo("{\"status\":429,\"reason\":\"rate_limited\",\"message\":\"rate limit exceeded; retry in 30s\"}\n");
      assertThat(up.received()).hasSize(2);
    }
  }

  @Test
  void theRateIsSharedByEveryEventLoop() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.withRoute(up.address(), "filters: [{kind: rate-limit, config: {requests: 3, per: 1h}}]")) {
      // Eight connections, spread over the gateway's two event loops.
      List<RawConnection> connections = new ArrayList<>();
      try {
        for (int i = 0; i < 8; i++) connections.add(RawConnection.open(gw.port()));
        int ok = 0;
        for (RawConnection c : connections) {
          c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
          if (c.readResponse().status() == 200) ok++;
        }
        assertThat(ok).isEqualTo(3);
      } finally {
        for (RawConnection c : connections) c.close();
      }
      assertThat(up.received()).hasSize(3);
    }
  }

  @Test
  void bucketsAreKeptPerHeaderValueAndPerConsumerWithItsOwnRate() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.start(up.address(),
            Consumers.consumer("gold", "keyAuth: {key: gold-key-0001}\nrateLimit: {requests: 3, per: 1h}")
            + Consumers.consumer("free", "keyAuth: {key: free-key-0001}")
            + Gateways.route("by-header", "match: {path: {prefix: /h}}\nfilters: [{kind: rate-limit, config: {requests: 1, per: 1h, key: header, header: X-User}}]")
            + Gateways.route("by-consumer", "match: {path: {prefix: /c}}\nfilters: [{kind: key-auth}, {kind: rate-limit, config: {requests: 1, per: 1h, key: consumer}}]"))) {
      assertThat(get(gw, "/h", "X-User: a").status()).isEqualTo(200);
      assertThat(get(gw, "/h", "X-User: a").status()).isEqualTo(429);
      assertThat(get(gw, "/h", "X-User: b").status()).isEqualTo(200);
      // without the header, the client's address is the key
      assertThat(get(gw, "/h").status()).isEqualTo(200);
      assertThat(get(gw, "/h").status()).isEqualTo(429);

      assertThat(get(gw, "/c", "apikey: free-key-0001").status()).isEqualTo(200);
      assertThat(get(gw, "/c", "apikey: free-key-0001").status()).isEqualTo(429);
      RawConnection.Response gold = get(gw, "/c", "apikey: gold-key-0001");
      assertThat(gold.status()).isEqualTo(200);
      assertThat(gold.header("ratelimit-limit")).isEqualTo("3");
      assertThat(gold.header("ratelimit-remaining")).isEqualTo("2");
      assertThat(get(gw, "/c", "apikey: gold-key-0001").status()).isEqualTo(200);
      assertThat(get(gw, "/c", "apikey: gold-key-0001").status()).isEqualTo(200);
      RawConnection.Response over = get(gw, "/c", "apikey: gold-key-0001");
      assertThat(over.status()).isEqualTo(429);
      assertThat(over.header("retry-after")).isEqualTo("1200");
    }
  }

  @Test
  void bucketsSurviveAConfigurationChange() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.withRoute(up.address(), "filters: [{kind: rate-limit, name: rl, config: {requests: 1, per: 1h}}]")) {
      assertThat(get(gw, "/").status()).isEqualTo(200);
      String yaml = Files.readString(gw.configDir().resolve("config.yaml"));
      gw.reload(yaml.replace("upstream: backend", "upstream: backend\n  priority: 5"));
      assertThat(get(gw, "/").status()).isEqualTo(429);
      // a different rate starts afresh
      gw.reload(yaml.replace("requests: 1, per: 1h", "requests: 2, per: 1h"));
      assertThat(get(gw, "/").status()).isEqualTo(200);
    }
  }

  @Test
  void badSettingsAreRefused() throws Exception {
    assertThat(Configs.routeErrors("""
        - {kind: rate-limit, config: {per: 0s, burst: 0, key: header}}
        - {kind: rate-limit, config: {requests: 5, key: user, header: X-A}}
        - {kind: rate-limit, config: {requests: 5, header: X-A}}
        """)).containsExactly(
        "Route/r: spec.filters[0].config.requests: missing; expected the requests allowed per period, at least 1",
        "Route/r: spec.filters[0].config.per: expected a duration greater than zero, got 0s",
        "Route/r: spec.filters[0].config.burst: expected at least 1, got 0",
        "Route/r: spec.filters[0].config.header: missing; expected a header name",
        "Route/r: spec.filters[1].config.key: expected one of route, consumer, client-ip, header, got 'user'",
        "Route/r: spec.filters[2].config.header: only used with key: header, but key is route");
  }
}
