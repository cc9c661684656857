package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.ConfigException;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * proxy-wasm HTTP callouts through the real proxy: the {@code callout} plugin (AssemblyScript,
 * src/test/wasm/callout) asks the Upstream its configuration names with {@code proxy_http_call},
 * the request waits paused, and the plugin allows it (with the answer's {@code x-user}) or denies
 * it on the answer it gets in {@code proxy_on_http_call_response}.
 */
class WasmCalloutTest {
  /** The auth Upstream: 200 with x-user for token {@code good}, 401 "bad token" otherwise. */
  private static TestUpstream authz() throws Exception {
    return TestUpstream.start("authz", (req, ex) -> {
      if ("good".equals(req.header("x-token"))) {
        ex.respond(200, Map.of("X-User", "ada"), "");
      } else {
        ex.respond(401, Map.of("Content-Type", "text/plain"), "bad token");
      }
    });
  }

  /**
   * Upstreams {@code backend} and {@code authz}, and a route whose wasm filter runs the callout
   * plugin with {@code extra}. The CPU budget is a wall-clock deadline per call; the SDK's reply
   * callback builds log strings on its first run in each VM, and on a loaded test machine 50 ms is
   * not always enough for that, which would make the test about the machine.
   */
  private static GatewayFixture gateway(String backend, String authz, String extra) throws Exception {
    return GatewayFixture.start("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: "%s"}]
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: authz}
        spec:
          endpoints: [{address: "%s"}]
          timeouts: {connect: 1s, response: 2s}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          upstream: backend
          filters: [%s]
        """.formatted(0, backend, authz, Plugins.filter("callout", "configuration: authz, cpuBudget: 2s" + extra)));
  }

  @Test
  void calloutToTheAuthUpstreamAllowsTheRequestAndItsAnswerEditsIt() throws Exception {
    try (TestUpstream up = Plugins.upstream(); TestUpstream auth = authz();
        GatewayFixture gw = gateway(up.address(), auth.address(), ", upstreams: [authz]")) {
      RawConnection.Response r = Plugins.get(gw, "/orders", "X-Token: good");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("from upstream");
      TestUpstream.Received asked = auth.take();
      assertThat(asked.method()).isEqualTo("GET");
      assertThat(asked.target()).isEqualTo("/check");
      assertThat(asked.header("Host")).isEqualTo("authz.internal");
      assertThat(asked.header("x-token")).isEqualTo("good");
      TestUpstream.Received got = up.take();
      assertThat(got.target()).isEqualTo("/orders");
      assertThat(Plugins.values(got, "x-user")).containsExactly("ada");
    }
  }

  @Test
  void calloutAnswerThatRefusesDeniesTheRequestWithTheAnswersStatusAndBody() throws Exception {
    try (TestUpstream up = Plugins.upstream(); TestUpstream auth = authz();
        GatewayFixture gw = gateway(up.address(), auth.address(), ", upstreams: [authz]")) {
      RawConnection.Response r = Plugins.get(gw, "/denied", "X-Token: bad");
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.header("content-type")).isEqualTo("text/plain");
      assertThat(r.body()).isEqualTo("denied: 401 bad token");
      Plugins.assertNotReceived(up, "/denied");
    }
  }

  @Test
  void calloutThatFailsIsDeliveredWithoutAnAnswer() throws Exception {
    try (TestUpstream up = Plugins.upstream();
        GatewayFixture gw = gateway(up.address(), "127.0.0.1:" + GatewayFixture.closedPort(), ", upstreams: [authz]")) {
      RawConnection.Response r = Plugins.get(gw, "/down", "X-Token: good");
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.body()).isEqualTo("authz unavailable");
      Plugins.assertNotReceived(up, "/down");
    }
  }

  @Test
  void calloutToAnUpstreamTheFilterDoesNotListIsRefused() throws Exception {
    try (TestUpstream up = Plugins.upstream(); TestUpstream auth = authz();
        GatewayFixture gw = gateway(up.address(), auth.address(), "")) {
      RawConnection.Response r = Plugins.get(gw, "/unlisted", "X-Token: good");
      assertThat(r.status()).isEqualTo(500);
      // proxy_result_t BadArgument is 2.
      assertThat(r.body()).isEqualTo("callout refused: 2");
      assertThat(auth.received()).isEmpty();
    }
  }

  @Test
  void upstreamsTheFilterListsMustExist() throws Exception {
    try (TestUpstream up = Plugins.upstream(); TestUpstream auth = authz()) {
      assertThatThrownBy(() -> gateway(up.address(), auth.address(), ", upstreams: [authz, nope]").close())
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("Route/r: spec.filters[0].config.upstreams[1]: Upstream 'nope' does not exist");
    }
  }
}
