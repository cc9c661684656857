package io.sluice.filter;

import java.util.concurrent.CompletionStage;

/**
 * Sends requests to the Upstreams of the running configuration through the data plane: the event
 * loop's connection pools, the Upstream's load balancer, health checks, outlier detection, circuit
 * breakers, retry policy (and retry budget) and timeouts, exactly as a route's requests to it.
 * Get it from {@link Exchange#upstreams()}.
 *
 * <p><b>Threading.</b> Call it on the exchange's event loop ({@link Exchange#executor()}), in a
 * phase or in a task on that executor. The returned stage completes on that loop, with the
 * {@link UpstreamReply} or exceptionally with an {@link UpstreamCallException}; it never blocks.
 * Return it (mapped to a {@link FilterResult}) from the phase with {@link FilterResult#async} to
 * hold the chain until it completes.
 *
 * <p><b>Lifetime.</b> A call runs to its end even when its exchange ends first (the client went
 * away, the filter's deadline passed); its completion is then ignored by the chain. The
 * Upstream is the one of the configuration the call started in.
 */
public interface UpstreamCalls {
  /**
   * Starts {@code call}.
   *
   * @return its reply, completed on the exchange's event loop; failed with an
   *     {@link UpstreamCallException} when it got none
   */
  CompletionStage<UpstreamReply> call(UpstreamCall call);
}
