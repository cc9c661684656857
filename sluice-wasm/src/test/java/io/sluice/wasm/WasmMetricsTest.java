package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WasmMetricsTest {
  @Test
  void aPluginsCounterHistogramAndGaugeShowOnMetricsWithExactValues() throws Exception {
    try (TestUpstream up = Plugins.upstream(); GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("metrics", "cpuBudget: 5s"))) {
      List<String> seen = new ArrayList<>();
      // each request on a new connection: they spread over the event loops, each with its own VM
      for (String size : List.of("3", "70", "700")) {
        RawConnection.Response r = Plugins.get(gw, "/m", "X-Size: " + size);
        assertThat(r.status()).isEqualTo(200);
        seen.add(r.header("x-requests"));
      }
      assertThat(seen).containsExactly("1", "2", "3");

      StringBuilder text = new StringBuilder();
      gw.gateway().metrics().writePrometheus(text);
      List<String> lines = text.toString().lines().filter(l -> l.contains("sluice_filter_wasm_")).toList();
      assertThat(lines).containsExactly(
          "# HELP sluice_filter_wasm_last_size proxy-wasm plugin metric last_size",
          "# TYPE sluice_filter_wasm_last_size gauge",
          "sluice_filter_wasm_last_size 700",
          "# HELP sluice_filter_wasm_request_size proxy-wasm plugin metric request_size",
          "# TYPE sluice_filter_wasm_request_size histogram",
          "sluice_filter_wasm_request_size_bucket{le=\"0.5\"} 0",
          "sluice_filter_wasm_request_size_bucket{le=\"1\"} 0",
          "sluice_filter_wasm_request_size_bucket{le=\"5\"} 1",
          "sluice_filter_wasm_request_size_bucket{le=\"10\"} 1",
          "sluice_filter_wasm_request_size_bucket{le=\"25\"} 1",
          "sluice_filter_wasm_request_size_bucket{le=\"50\"} 1",
          "sluice_filter_wasm_request_size_bucket{le=\"100\"} 2",
          "sluice_filter_wasm_request_size_bucket{le=\"250\"} 2",
          "sluice_filter_wasm_request_size_bucket{le=\"500\"} 2",
          "sluice_filter_wasm_request_size_bucket{le=\"1000\"} 3",
          "sluice_filter_wasm_request_size_bucket{le=\"2500\"} 3",
          "sluice_filter_wasm_request_size_bucket{le=\"5000\"} 3",
          "sluice_filter_wasm_request_size_bucket{le=\"10000\"} 3",
          "sluice_filter_wasm_request_size_bucket{le=\"30000\"} 3",
          "sluice_filter_wasm_request_size_bucket{le=\"60000\"} 3",
          "sluice_filter_wasm_request_size_bucket{le=\"300000\"} 3",
          "sluice_filter_wasm_request_size_bucket{le=\"600000\"} 3",
          "sluice_filter_wasm_request_size_bucket{le=\"1800000\"} 3",
          "sluice_filter_wasm_request_size_bucket{le=\"3600000\"} 3",
          "sluice_filter_wasm_request_size_bucket{le=\"+Inf\"} 3",
          "sluice_filter_wasm_request_size_sum 773",
          "sluice_filter_wasm_request_size_count 3",
          "# HELP sluice_filter_wasm_requests_total proxy-wasm plugin metric requests",
          "# TYPE sluice_filter_wasm_requests_total counter",
          "sluice_filter_wasm_requests_total 3");
    }
  }

  @Test
  void aPluginsCountersSurviveAConfigurationChangeOfItsFilter() throws Exception {
    try (TestUpstream up = Plugins.upstream(); GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("metrics", "cpuBudget: 5s"))) {
      assertThat(Plugins.get(gw, "/m").header("x-requests")).isEqualTo("1");
      // a changed configuration string is a new filter with new VMs: the counter carries on
      gw.reload(Plugins.config(0, up.address(), Plugins.filter("metrics", "configuration: changed, cpuBudget: 5s")));
      assertThat(Plugins.get(gw, "/m").header("x-requests")).isEqualTo("2");
    }
  }
}
