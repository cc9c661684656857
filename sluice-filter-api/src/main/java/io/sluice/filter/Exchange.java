package io.sluice.filter;

import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * One request and its response as the filters of its route see them.
 *
 * <p><b>Threading and lifetime.</b> Use an exchange only on its event loop ({@link #executor()}):
 * inside a filter's phase, or in a task on that executor while the filter's async result is
 * pending. It is valid until the exchange ends (the response is complete, or the client went
 * away); the gateway reuses the object for the connection's next request, so never keep it.
 */
public interface Exchange {
  /** The request, editable until it is sent upstream (the end of the request phase). */
  Request request();

  /**
   * The response on its way to the client.
   *
   * @throws IllegalStateException in the request phase: there is no response yet
   */
  Response response();

  /** The value of an attribute, or null when it is not set. */
  <T> @Nullable T attribute(Attribute<T> key);

  /** Sets an attribute for later filters, the response phase and the access log; null removes it. */
  <T> void setAttribute(Attribute<T> key, @Nullable T value);

  /** The name of the route that took the request. */
  String route();

  /** The name of the listener the request came in on. */
  String listener();

  /** The exchange's event loop: where the chain resumes, and where a filter's async work may touch the exchange. */
  Executor executor();

  /**
   * Calls to the Upstreams of the running configuration through the data plane (pools, balancer,
   * health, breakers, retries, timeouts), completed on {@link #executor()}. Declare each Upstream a
   * filter calls in its factory's {@link FilterFactory#references}, so validation refuses an
   * unknown one and the Upstream cannot be deleted while the filter uses it.
   */
  UpstreamCalls upstreams();
}
