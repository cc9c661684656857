package io.sluice.server.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.store.NodeRecord;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TrafficWindowTest {
  /** Metrics of two listeners: {@code ok} 200s and {@code bad} 502s, the 502s slow. */
  private static String metrics(long ok, long bad) {
    return """
        # TYPE sluice_requests_total counter
        sluice_requests_total{listener="a",code="200",class="2xx"} %d
        sluice_requests_total{listener="b",code="502",class="5xx"} %d
        sluice_route_requests_total{route="r",code="502",class="5xx"} %d
        sluice_request_duration_seconds_bucket{listener="a",le="0.005"} %d
        sluice_request_duration_seconds_bucket{listener="a",le="0.5"} %d
        sluice_request_duration_seconds_bucket{listener="a",le="+Inf"} %d
        sluice_request_duration_seconds_bucket{listener="b",le="0.005"} 0
        sluice_request_duration_seconds_bucket{listener="b",le="0.5"} %d
        sluice_request_duration_seconds_bucket{listener="b",le="+Inf"} %d
        """.formatted(ok, bad, bad, ok, ok, ok, bad, bad);
  }

  @Test
  void theSummaryIsTheDifferenceOverTheWindowWithFiveHundredsAndTheP99Bucket() {
    AtomicLong clock = new AtomicLong();
    AtomicReference<String> text = new AtomicReference<>(metrics(1000, 7));
    TrafficWindow w = new TrafficWindow(text::get, clock::get);
    w.sample();
    assertThat(w.summary()).isNull();
    clock.addAndGet(Duration.ofSeconds(1).toNanos());
    text.set(metrics(1098, 7));
    w.sample();
    // 98 fast requests, none slow: the p99 is the 5 ms bucket; the route family is not counted.
    assertThat(w.summary()).isEqualTo(new NodeRecord.Traffic(Duration.ofSeconds(1), 98, 0, Duration.ofMillis(5)));
    clock.addAndGet(Duration.ofSeconds(1).toNanos());
    text.set(metrics(1098, 17));
    w.sample();
    assertThat(w.summary()).isEqualTo(new NodeRecord.Traffic(Duration.ofSeconds(2), 108, 10, Duration.ofMillis(500)));
  }

  @Test
  void samplesOlderThanTheWindowAreForgottenAndAResetStartsAfresh() {
    AtomicLong clock = new AtomicLong();
    AtomicReference<String> text = new AtomicReference<>(metrics(0, 0));
    TrafficWindow w = new TrafficWindow(text::get, clock::get);
    for (int i = 1; i <= 15; i++) {
      w.sample();
      clock.addAndGet(Duration.ofSeconds(1).toNanos());
      text.set(metrics(i * 10L, 0));
    }
    w.sample();
    NodeRecord.Traffic t = w.summary();
    assertThat(t).isNotNull();
    assertThat(t.window()).isEqualTo(Duration.ofSeconds(10));
    assertThat(t.requests()).isEqualTo(100);
    // A listener re-created by a change starts from zero: the window starts again.
    clock.addAndGet(Duration.ofSeconds(1).toNanos());
    text.set(metrics(3, 0));
    w.sample();
    assertThat(w.summary()).isNull();
  }
}
