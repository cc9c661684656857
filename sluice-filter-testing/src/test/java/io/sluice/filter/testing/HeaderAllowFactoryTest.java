package io.sluice.filter.testing;

// Copied from docs/filters.md ("Testing a filter"), plus the config error the page quotes.
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HeaderAllowFactoryTest {
  @Test
  void refusesAValueNotInTheListAndMarksAllowedResponses() {
    try (FilterHarness h = FilterHarness.builder(new HeaderAllowFactory())
        .config("{name: X-Plan, values: [gold, silver]}")
        .build()) {
      // the request phase answers: the upstream sees nothing
      TestExchange refused = h.run(TestRequest.builder("GET", "/orders").header("X-Plan", "bronze").build());
      assertThat(refused.answered()).isTrue();
      assertThat(refused.result().name()).isEqualTo("refused");
      assertThat(refused.response().status()).isEqualTo(403);
      assertThat(refused.response().header("X-Sluice-Reason")).isEqualTo("header_not_allowed");
      // the filter that answers does not see its own response: no X-Checked-By
      assertThat(refused.response().header("X-Checked-By")).isNull();

      // the request goes upstream; the upstream's response goes through the response phase
      TestExchange allowed = h.run(TestRequest.builder("GET", "/orders?page=2").header("X-Plan", "gold").build());
      assertThat(allowed.upstreamRequest().target()).isEqualTo("/orders?page=2");
      ClientResponse r = allowed.upstreamResponds(TestResponse.builder(200).body("application/json", "[]").build());
      assertThat(r.headers()).containsExactly(
          new HeaderField("Content-Type", "application/json"),
          new HeaderField("Content-Length", "2"),
          new HeaderField("X-Checked-By", "header-allow"));
      assertThat(r.bodyText()).isEqualTo("[]");
    }
  }

  @Test
  void aBadConfigIsRefusedWithTheGatewaysMessage() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> FilterHarness.builder(new HeaderAllowFactory())
        .config("{name: X-Plan, values: [\" \"]}").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Route/test spec.filters[0] (header-allow).config.values[0]: empty; expected a value");
  }
}
