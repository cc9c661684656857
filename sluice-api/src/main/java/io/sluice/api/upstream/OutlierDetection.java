package io.sluice.api.upstream;

import java.time.Duration;

/**
 * Passive outlier detection: endpoints that keep failing real requests are ejected from every load
 * balancer for a while, as Envoy's outlier detection does.
 *
 * <pre>{@code
 * outlierDetection: {consecutive5xx: 5, consecutiveGatewayFailure: 3, baseEjectionTime: 30s,
 *                    maxEjectionTime: 5m, maxEjectionPercent: 50, interval: 10s}
 * }</pre>
 *
 * @param consecutive5xx responses with a 5xx status or gateway failures in a row that eject an
 *     endpoint; 0 turns this detector off (default 5)
 * @param consecutiveGatewayFailure gateway failures in a row (502, 503, 504 from the endpoint,
 *     or a connect failure, reset or timeout) that eject an endpoint; 0 turns it off (default 0)
 * @param interval how often the ejection multiplier of an endpoint that stayed in rotation decays
 *     by one (default 10s)
 * @param baseEjectionTime an endpoint is ejected for this times the number of times it has been
 *     ejected (default 30s)
 * @param maxEjectionTime the longest ejection (default 300s)
 * @param maxEjectionPercent at most this share of the upstream's endpoints is ejected at once,
 *     rounded down, but at least one endpoint may always be ejected (default 10)
 */
public record OutlierDetection(
    Integer consecutive5xx,
    Integer consecutiveGatewayFailure,
    Duration interval,
    Duration baseEjectionTime,
    Duration maxEjectionTime,
    Integer maxEjectionPercent) {

  public OutlierDetection {
    consecutive5xx = consecutive5xx == null ? 5 : consecutive5xx;
    consecutiveGatewayFailure = consecutiveGatewayFailure == null ? 0 : consecutiveGatewayFailure;
    interval = interval == null ? Duration.ofSeconds(10) : interval;
    baseEjectionTime = baseEjectionTime == null ? Duration.ofSeconds(30) : baseEjectionTime;
    maxEjectionTime = maxEjectionTime == null ? Duration.ofSeconds(300) : maxEjectionTime;
    maxEjectionPercent = maxEjectionPercent == null ? 10 : maxEjectionPercent;
  }
}
