package io.sluice.filters.fault;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The {@code fault} filter's config: delays and/or aborts a share of the requests, to test how
 * clients and callers cope. At least one of {@code delay} and {@code abort}.
 *
 * @param delay hold a share of the requests before they go on
 * @param abort answer a share of the requests with an error instead of sending them upstream
 * @param header when set, only requests that carry this header are faulted; others pass untouched
 */
public record FaultConfig(@Nullable Delay delay, @Nullable Abort abort, @Nullable String header) {
  /**
   * @param duration how long a delayed request waits before it goes on; required, above zero
   * @param percentage the share of (candidate) requests delayed, 0 to 100 (default 100)
   */
  public record Delay(@Nullable Duration duration, Double percentage) {
    public Delay {
      percentage = percentage == null ? 100.0 : percentage;
    }
  }

  /**
   * @param status the status of the response; required, 200 to 599
   * @param percentage the share of (candidate) requests aborted, 0 to 100 (default 100)
   * @param body the body; without it, the gateway's JSON error with reason {@code fault_injected}
   * @param contentType the Content-Type of {@code body} (default {@code text/plain; charset=utf-8})
   * @param headers more response headers
   */
  public record Abort(
      @Nullable Integer status, Double percentage, @Nullable String body, @Nullable String contentType,
      Map<String, String> headers) {
    public Abort {
      percentage = percentage == null ? 100.0 : percentage;
      headers = headers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }
  }
}
