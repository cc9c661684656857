package io.sluice.proxy.filter.internal;

import io.sluice.filter.LocalResponse;
import io.sluice.proxy.message.HeaderEdits;

/**
 * The client connection that runs a {@link FilterExchange}: what the chain asks of it. Implemented by
 * the data plane's downstream handler; every call is made on the connection's event loop.
 */
public interface ExchangeHost {
  /** The request phase ended without a response: send the request upstream (or answer the route's direct response). */
  void requestPhaseDone();

  /**
   * A filter reads the body: read it whole, passing each piece to
   * {@link FilterExchange#appendBody}, then call {@link FilterExchange#requestBodyBuffered()}.
   */
  void bufferRequestBody();

  /**
   * Writes a local response, with the response phase's header {@code edits}, and ends the exchange.
   * Its {@code X-Sluice-Reason}, if any, is the reason code of the access log and the metrics.
   *
   * @param close close the connection after it in any case (the request body is not going to be read)
   */
  void writeLocalResponse(LocalResponse response, HeaderEdits edits, boolean close);

  /** An async step of the chain completed and changed the exchange's state: go on with buffered input. */
  void resumed();

  /**
   * A filter threw, returned null, or its async result failed (the exchange answers 500
   * {@code filter_error} itself): count and log it, rate-limited. Must not throw.
   *
   * @param filter the filter's name and place, e.g. {@code Route/r spec.filters[1] (broken)}
   */
  void filterFailed(String filter, Throwable error);

  /** The filters' calls to Upstreams through the data plane ({@link io.sluice.filter.Exchange#upstreams()}). */
  io.sluice.filter.UpstreamCalls upstreamCalls();
}
