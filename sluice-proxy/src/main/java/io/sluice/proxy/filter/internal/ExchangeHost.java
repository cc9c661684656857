package io.sluice.proxy.filter.internal;

import io.netty.buffer.ByteBuf;
import org.jspecify.annotations.Nullable;

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
   * A local response is about to be written: returns whether the connection closes after it.
   *
   * @param close close it in any case (the request body is not going to be read)
   */
  boolean startLocalResponse(boolean close);

  /**
   * Writes a local response (taking ownership of the buffer) and ends the exchange.
   *
   * @param reason the reason code the response carries ({@code X-Sluice-Reason}), for the access log
   *     and metrics; null for a response without one
   */
  void writeLocalResponse(ByteBuf response, @Nullable String reason);

  /** An async step of the chain completed and changed the exchange's state: go on with buffered input. */
  void resumed();

  /**
   * A filter threw, returned null, or its async result failed (the exchange answers 500
   * {@code filter_error} itself): count and log it, rate-limited. Must not throw.
   *
   * @param filter the filter's name and place, e.g. {@code Route/r spec.filters[1] (broken)}
   */
  void filterFailed(String filter, Throwable error);
}
