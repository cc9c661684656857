package io.sluice.proxy.upstream.health;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.api.codec.Durations;
import io.sluice.api.upstream.OutlierDetection;
import io.sluice.proxy.upstream.Endpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive outlier detection for one upstream (Envoy's consecutive-5xx and consecutive-gateway-
 * failure detectors): every attempt's outcome is counted per endpoint; an endpoint that reaches a
 * threshold of failures in a row is ejected ({@link Endpoint#OUTLIER}: out of every balancer on
 * every loop) for {@code baseEjectionTime} times the number of its ejections, at most
 * {@code maxEjectionTime}, then comes back by itself. The number of ejections decays by one every
 * {@code interval} the endpoint stays in rotation. At most {@code maxEjectionPercent} of the
 * endpoints (but always at least one) are ejected at once.
 *
 * <p>Threading: {@link Tracker#record} is called on any event loop at once (atomics only);
 * ejections end on the event loop that ejected; the decay runs on the loop given to {@link #start}.
 */
public final class OutlierDetector {
  private static final Logger log = LoggerFactory.getLogger(OutlierDetector.class);

  /** An attempt's outcome: a response below 500. */
  public static final int SUCCESS = 0;
  /** A response with a 5xx status other than 502, 503, 504. */
  public static final int ERROR_5XX = 1;
  /** A gateway failure: 502, 503 or 504 from the endpoint, or a connect failure, reset or timeout. */
  public static final int GATEWAY_FAILURE = 2;

  private final String upstream;
  private final OutlierDetection spec;
  private final long baseNanos;
  private final long maxNanos;
  private final int maxEjected;
  private final AtomicInteger ejected = new AtomicInteger();
  private final List<Tracker> trackers = new ArrayList<>();
  private volatile boolean stopped;
  private @Nullable ScheduledFuture<?> decay;

  public OutlierDetector(String upstream, OutlierDetection spec, int endpointCount) {
    this.upstream = upstream;
    this.spec = spec;
    this.baseNanos = spec.baseEjectionTime().toNanos();
    this.maxNanos = spec.maxEjectionTime().toNanos();
    this.maxEjected = Math.max(1, endpointCount * spec.maxEjectionPercent() / 100);
  }

  /** The tracker of one endpoint; call once per endpoint while building the upstream. */
  public Tracker tracker(Endpoint endpoint) {
    Tracker t = new Tracker(endpoint);
    trackers.add(t);
    return t;
  }

  /** Maps a response status (or 0 for a gateway failure) to an outcome. */
  public static int outcome(int status) {
    if (status == 0 || status == 502 || status == 503 || status == 504) return GATEWAY_FAILURE;
    return status >= 500 ? ERROR_5XX : SUCCESS;
  }

  /** Starts the decay of ejection multipliers on {@code loop}. */
  public synchronized void start(EventExecutor loop) {
    if (stopped || decay != null) return;
    long interval = spec.interval().toNanos();
    decay = loop.scheduleAtFixedRate(this::decay, interval, interval, TimeUnit.NANOSECONDS);
  }

  /** Stops the decay; ejections in progress still end on time. */
  public synchronized void stop() {
    stopped = true;
    if (decay != null) decay.cancel(false);
  }

  private void decay() {
    if (stopped) return;
    for (Tracker t : trackers) {
      if (!t.endpoint.isOut(Endpoint.OUTLIER)) {
        t.ejections.getAndUpdate(n -> n > 0 ? n - 1 : 0);
      }
    }
  }

  /** Endpoints ejected by this detector now. */
  public int ejectedNow() {
    return ejected.get();
  }

  /** The outlier state of one endpoint. */
  public final class Tracker {
    private final Endpoint endpoint;
    private final AtomicInteger consecutive5xx = new AtomicInteger();
    private final AtomicInteger consecutiveGateway = new AtomicInteger();
    private final AtomicInteger ejections = new AtomicInteger();

    private Tracker(Endpoint endpoint) {
      this.endpoint = endpoint;
    }

    /**
     * Counts one attempt's outcome, and ejects the endpoint when a threshold is reached.
     *
     * @param outcome {@link #SUCCESS}, {@link #ERROR_5XX} or {@link #GATEWAY_FAILURE}
     * @param loop the calling event loop; it brings the endpoint back when the ejection ends
     */
    public void record(int outcome, EventExecutor loop) {
      if (outcome == SUCCESS) {
        // Read first: the common case writes nothing, so loops do not fight over the cache line.
        if (consecutive5xx.get() != 0) consecutive5xx.set(0);
        if (consecutiveGateway.get() != 0) consecutiveGateway.set(0);
        return;
      }
      int c5 = consecutive5xx.incrementAndGet();
      int gw;
      if (outcome == GATEWAY_FAILURE) {
        gw = consecutiveGateway.incrementAndGet();
      } else {
        gw = 0;
        if (consecutiveGateway.get() != 0) consecutiveGateway.set(0);
      }
      boolean by5xx = spec.consecutive5xx() > 0 && c5 >= spec.consecutive5xx();
      boolean byGateway = spec.consecutiveGatewayFailure() > 0 && gw >= spec.consecutiveGatewayFailure();
      if (by5xx || byGateway) eject(loop, by5xx ? c5 + " 5xx responses or gateway failures" : gw + " gateway failures");
    }

    private void eject(EventExecutor loop, String why) {
      if (endpoint.isOut(Endpoint.OUTLIER)) return;
      while (true) {
        int n = ejected.get();
        // Over the limit the counts go on, so the endpoint is ejected once another one returns.
        if (n >= maxEjected) return;
        if (ejected.compareAndSet(n, n + 1)) break;
      }
      if (!endpoint.takeOut(Endpoint.OUTLIER)) {
        ejected.decrementAndGet();
        return;
      }
      consecutive5xx.set(0);
      consecutiveGateway.set(0);
      int times = ejections.incrementAndGet();
      long nanos = Math.min(maxNanos, baseNanos * times);
      log.info("Upstream/{}: endpoint {} ejected for {} after {} in a row (ejection {})", upstream,
          endpoint.address(), Durations.format(Duration.ofNanos(nanos)), why, times);
      loop.schedule(this::restore, nanos, TimeUnit.NANOSECONDS);
    }

    private void restore() {
      if (endpoint.bringBack(Endpoint.OUTLIER)) ejected.decrementAndGet();
      log.info("Upstream/{}: endpoint {} back in rotation after its ejection", upstream, endpoint.address());
    }

    /** How many times the endpoint has been ejected, less the decay. */
    public int ejections() {
      return ejections.get();
    }
  }
}
