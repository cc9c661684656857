package io.sluice.proxy.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.metrics.MetricsOptions;
import io.sluice.proxy.metrics.internal.Meter;
import io.sluice.proxy.metrics.internal.MeterKind;
import io.sluice.proxy.metrics.internal.MeterRegistry;
import io.sluice.proxy.metrics.internal.MeterWriter;
import io.sluice.proxy.metrics.internal.PrometheusText;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SeriesCapTest {
  @Test
  void labelSetsBeyondTheCapGoToOverflowSeriesAndComeBackWhenFreed() throws Exception {
    MeterRegistry r = new MeterRegistry(1, 2, CODES);
    Meter a = r.route("a");
    Meter b = r.route("b");
    Meter c = r.route("c");
    assertThat(c.labels()).containsExactly(MeterRegistry.OVERFLOW);
    assertThat(r.route("d")).isSameAs(c);
    a.record(0, 200, null, false, 10, 20, 1_000_000);
    a.record(0, 404, "no_route", false, 10, 20, 1_000_000);
    // Two code series exist in the family: a third code is counted as "other" of its class.
    a.record(0, 503, "upstream_overflow", true, 10, 20, 1_000_000);
    b.record(0, 200, null, false, 1, 2, 1_000_000);
    c.record(0, 201, null, false, 1, 2, 1_000_000);
    c.record(0, 302, null, false, 1, 2, 1_000_000);

    PrometheusScrape s = scrape(r);
    assertThat(s.value("sluice_route_requests_total", "route", "a", "code", "200", "class", "2xx")).isEqualTo(1);
    assertThat(s.value("sluice_route_requests_total", "route", "a", "code", "404", "class", "4xx")).isEqualTo(1);
    assertThat(s.value("sluice_route_requests_total", "route", "a", "code", "other", "class", "5xx")).isEqualTo(1);
    assertThat(s.value("sluice_route_requests_total", "route", "b", "code", "other", "class", "2xx")).isEqualTo(1);
    assertThat(s.value("sluice_route_requests_total", "route", "__overflow__", "code", "other", "class", "2xx")).isEqualTo(1);
    assertThat(s.value("sluice_route_requests_total", "route", "__overflow__", "code", "other", "class", "3xx")).isEqualTo(1);
    assertThat(s.value("sluice_route_gateway_errors_total", "route", "a", "reason", "no_route")).isEqualTo(1);
    assertThat(s.value("sluice_route_gateway_errors_total", "route", "a", "reason", "upstream_overflow")).isEqualTo(1);
    assertThat(s.value("sluice_route_request_bytes_total", "route", "__overflow__")).isEqualTo(2);
    assertThat(s.all("sluice_route_request_bytes_total")).hasSize(3);

    // Dropping route a gives its label set and its two code series back.
    r.retain(MeterKind.ROUTE, Set.of(List.of("b")));
    Meter e = r.route("e");
    assertThat(e.labels()).containsExactly("e");
    e.record(0, 500, null, true, 1, 1, 1);
    assertThat(scrape(r).value("sluice_route_requests_total", "route", "e", "code", "500", "class", "5xx")).isEqualTo(1);
  }

  @Test
  void routesBeyondTheSeriesCapShareTheOverflowSeriesAndCountAsDroppedOnce() throws Exception {
    // Three series a route by default (requests by class, bytes in, bytes out): two routes fit in 7.
    MeterRegistry r = new MeterRegistry(1, 10_000, MetricsOptions.DEFAULTS.withMaxSeries(7));
    Meter a = r.route("a");
    Meter b = r.route("b");
    Meter c = r.route("c");
    assertThat(a.labels()).containsExactly("a");
    assertThat(b.labels()).containsExactly("b");
    assertThat(c.labels()).containsExactly(MeterRegistry.OVERFLOW);
    assertThat(r.dropped()).isEqualTo(3);
    // Compiled again (a full reload): still the same one route refused, not counted again.
    assertThat(r.route("c")).isSameAs(c);
    assertThat(r.dropped()).isEqualTo(3);
    a.record(0, 200, null, false, 10, 20, 1_000_000);
    a.record(0, 204, null, false, 10, 20, 1_000_000);
    a.record(0, 503, "upstream_reset", true, 10, 20, 1_000_000);
    c.record(0, 200, null, false, 1, 2, 1_000_000);

    PrometheusScrape s = scrape(r, r.options());
    assertThat(s.value("sluice_route_requests_total", "route", "a", "class", "2xx")).isEqualTo(2);
    assertThat(s.value("sluice_route_requests_total", "route", "a", "class", "5xx")).isEqualTo(1);
    assertThat(s.value("sluice_route_requests_total", "route", "__overflow__", "class", "2xx")).isEqualTo(1);
    assertThat(s.all("sluice_route_requests_total")).hasSize(3);
    assertThat(s.value("sluice_route_request_bytes_total", "route", "__overflow__")).isEqualTo(1);
    // The reason code took the last series of the budget.
    assertThat(s.value("sluice_route_gateway_errors_total", "route", "a", "reason", "upstream_reset")).isEqualTo(1);
    assertThat(s.types).doesNotContainKey("sluice_route_request_duration_seconds");

    // Route a goes: its series come back, and c gets its own.
    r.release(MeterKind.ROUTE, List.of("a"));
    assertThat(r.route("c").labels()).containsExactly("c");
    assertThat(r.dropped()).isEqualTo(3);
  }

  @Test
  void routeHistogramsCountAgainstTheSeriesCap() {
    MeterRegistry r = new MeterRegistry(1, 10_000, MetricsOptions.DEFAULTS.withRouteHistograms(true).withMaxSeries(44));
    assertThat(r.route("a").labels()).containsExactly("a");
    assertThat(r.route("b").labels()).containsExactly("b");
    assertThat(r.route("c").labels()).containsExactly(MeterRegistry.OVERFLOW);
    assertThat(r.dropped()).isEqualTo(22);
  }

  private static final MetricsOptions CODES = MetricsOptions.DEFAULTS.withRouteStatusCodes(MetricsOptions.StatusCodes.CODE);

  private static PrometheusScrape scrape(MeterRegistry r) throws Exception {
    return scrape(r, CODES.withRouteHistograms(true));
  }

  private static PrometheusScrape scrape(MeterRegistry r, MetricsOptions options) throws Exception {
    StringBuilder sb = new StringBuilder();
    MeterWriter.write(new PrometheusText(sb), MeterKind.ROUTE, r.meters(MeterKind.ROUTE), options);
    return new PrometheusScrape(sb.toString());
  }
}
