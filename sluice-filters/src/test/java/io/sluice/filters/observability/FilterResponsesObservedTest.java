package io.sluice.filters.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.validate.PathPolicy;
import io.sluice.filters.testing.Consumers;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client got from a filter is what the access log and the metrics record: the status and
 * reason of the filter's response (not 499 "downstream_closed"), and the Consumer an authentication
 * filter recognised.
 */
class FilterResponsesObservedTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static GatewayFixture gateway(TestUpstream up, Path logDir) throws Exception {
    return GatewayFixture.start("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
          accessLog: {format: json, file: {path: access.log}}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: "%s"}]
        ---
        """.formatted(0, up.address())
        + Consumers.aliceAndBob()
        + Gateways.route("r", """
            filters:
              - {kind: key-auth}
              - {kind: rate-limit, config: {key: consumer, requests: 1, per: 1h}}
            """), PathPolicy.logDirectory(logDir));
  }

  private static List<JsonNode> lines(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(file)) return out;
    for (String l : Files.readAllLines(file)) out.add(JSON.readTree(l));
    return out;
  }

  @Test
  void refusalsOfAuthAndRateLimitAreLoggedAndCountedWithTheirStatusReasonAndConsumer(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("access.log");
    try (TestUpstream up = Gateways.okUpstream(); GatewayFixture gw = gateway(up, dir)) {
      // One keep-alive connection for all three, as a client would use it.
      try (RawConnection c = RawConnection.open(gw.port())) {
        assertThat(c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().status()).isEqualTo(401);
        assertThat(c.send("GET /b HTTP/1.1\r\nHost: x\r\napikey: alice-key-0001\r\n\r\n").readResponse().status()).isEqualTo(200);
        assertThat(c.send("GET /c HTTP/1.1\r\nHost: x\r\napikey: alice-key-0001\r\n\r\n").readResponse().status()).isEqualTo(429);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> lines(log).size() == 3);
      List<JsonNode> l = lines(log);
      assertThat(l).extracting(n -> n.get("path").asText()).containsExactly("/a", "/b", "/c");
      assertThat(l).extracting(n -> n.get("status").asInt()).containsExactly(401, 200, 429);
      assertThat(l).extracting(n -> n.get("reason").isNull() ? null : n.get("reason").asText())
          .containsExactly("unauthorized", null, "rate_limited");
      assertThat(l).extracting(n -> n.get("consumer").isNull() ? null : n.get("consumer").asText())
          .containsExactly(null, "alice", "alice");
      assertThat(l).extracting(n -> n.get("route").asText()).containsExactly("r", "r", "r");

      StringBuilder metrics = new StringBuilder();
      gw.gateway().metrics().writePrometheus(metrics);
      assertThat(metrics.toString())
          .contains("sluice_requests_total{listener=\"main\",code=\"401\",class=\"4xx\"} 1\n")
          .contains("sluice_requests_total{listener=\"main\",code=\"429\",class=\"4xx\"} 1\n")
          .contains("sluice_requests_total{listener=\"main\",code=\"200\",class=\"2xx\"} 1\n")
          .doesNotContain("code=\"499\"");
    }
  }
}
