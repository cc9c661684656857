package io.sluice.api.upstream;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Duration;
import java.util.List;

/**
 * One circuit breaker (resilience4j's state machine): calls are recorded in a sliding window; once
 * it holds at least {@code minimumCalls}, the breaker opens when the failure rate or the slow-call
 * rate reaches its threshold. After {@code waitInOpen} it lets {@code halfOpenCalls} calls through
 * (half-open) and closes if they stay under the thresholds, else opens again.
 *
 * <p>A call is one attempt at an endpoint. It fails on a gateway failure (connect failure or
 * timeout, reset, response timeout, invalid response) or a response whose status is in
 * {@code failureStatuses}; it is slow when its response head took longer than
 * {@code slowCallDuration}.
 *
 * @param failureRateThreshold percent of failed calls that opens the breaker, 1 to 100 (default 50)
 * @param slowCallRateThreshold percent of slow calls that opens the breaker, 1 to 100 (default 100)
 * @param slowCallDuration a call slower than this is slow (default 60s)
 * @param minimumCalls calls the window must hold before rates are judged (default 20)
 * @param slidingWindow the window of recorded calls (default the last 100 calls)
 * @param waitInOpen how long the breaker stays open before probing (default 30s)
 * @param halfOpenCalls calls let through while half-open (default 5)
 * @param failureStatuses response statuses that count as failures; empty (the default) means every 5xx
 */
public record BreakerSettings(
    Integer failureRateThreshold,
    Integer slowCallRateThreshold,
    Duration slowCallDuration,
    Integer minimumCalls,
    SlidingWindow slidingWindow,
    Duration waitInOpen,
    Integer halfOpenCalls,
    List<Integer> failureStatuses) {

  public BreakerSettings {
    failureRateThreshold = failureRateThreshold == null ? 50 : failureRateThreshold;
    slowCallRateThreshold = slowCallRateThreshold == null ? 100 : slowCallRateThreshold;
    slowCallDuration = slowCallDuration == null ? Duration.ofSeconds(60) : slowCallDuration;
    minimumCalls = minimumCalls == null ? 20 : minimumCalls;
    slidingWindow = slidingWindow == null ? SlidingWindow.DEFAULT : slidingWindow;
    waitInOpen = waitInOpen == null ? Duration.ofSeconds(30) : waitInOpen;
    halfOpenCalls = halfOpenCalls == null ? 5 : halfOpenCalls;
    failureStatuses = failureStatuses == null ? List.of() : List.copyOf(failureStatuses);
  }

  /** Whether a response with {@code status} counts as a failed call. */
  public boolean isFailure(int status) {
    return failureStatuses.isEmpty() ? status >= 500 : failureStatuses.contains(status);
  }

  /**
   * @param type {@code count}: the last {@code size} calls; {@code time}: the calls of the last
   *     {@code size} seconds (default count)
   * @param size calls or seconds (default 100)
   */
  public record SlidingWindow(Type type, Integer size) {
    @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
    public static final SlidingWindow DEFAULT = new SlidingWindow(null, null);

    public SlidingWindow {
      type = type == null ? Type.COUNT : type;
      size = size == null ? 100 : size;
    }

    /** How a window is bounded. */
    public enum Type {
      COUNT("count"),
      TIME("time");

      private final String configName;

      Type(String configName) {
        this.configName = configName;
      }

      @JsonValue
      public String configName() {
        return configName;
      }

      @JsonCreator
      public static Type fromConfigName(String name) {
        for (Type t : values()) {
          if (t.configName.equals(name)) return t;
        }
        throw new IllegalArgumentException("unknown sliding window type '" + name + "', expected count or time");
      }
    }
  }
}
