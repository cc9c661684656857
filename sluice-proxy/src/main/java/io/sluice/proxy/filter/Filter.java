package io.sluice.proxy.filter;

/**
 * A step of a route's filter chain, with a request phase and a response phase.
 *
 * <p><b>Lifecycle.</b> A {@link FilterFactory} creates one instance per place the filter is
 * configured (a route's {@code filters[i]}, a pipeline's, a GlobalFilter's) when the configuration
 * is applied, off the event loops. The instance serves every request of every route that uses that
 * place, on every event loop, until the next configuration replaces it; it is then dropped (state
 * that must outlive a configuration change goes in {@link FilterEnvironment#shared}).
 *
 * <p><b>Threading.</b> Both phases are called on the event loop of the exchange's client connection
 * and must not block: an instance is called concurrently from several loops, so it is immutable or
 * thread-safe. Per-request state goes in {@linkplain Exchange#setAttribute exchange attributes}.
 * Work that waits (a call to another service, a blocking SDK) returns {@link FilterResult#async}
 * with a stage completed later from any thread; the chain resumes on the exchange's loop.
 *
 * <p><b>Order.</b> Request phases run in chain order (GlobalFilter {@code before}, the route's
 * pipeline, the route's own filters, GlobalFilter {@code after}), then the request goes upstream
 * (or to the route's direct response); response phases run in the reverse order, for the filters
 * whose request phase was reached (a filter jumped over, or after one that answered, sees no
 * response). A phase a filter does not override costs nothing.
 */
public interface Filter {
  /**
   * The request phase: read and edit the request, answer it, or let it go on.
   *
   * @return {@link FilterResult#CONTINUE} (the common case, no allocation), a response
   *     ({@link FilterResult#respond}), a named result for flow jumps, or {@link FilterResult#async}
   */
  default FilterResult onRequest(Exchange exchange) {
    return FilterResult.CONTINUE;
  }

  /**
   * The response phase: {@link Exchange#response()} has the status and headers of the response on
   * its way to the client (the upstream's, or one the gateway made), which this phase may edit.
   * Returning a response ({@link FilterResult#respond}) replaces it: the upstream's body is then
   * dropped and its connection closed. Named results do not jump here; they only count as
   * {@link FilterResult#CONTINUE}. Not called for errors the gateway makes itself after the filters
   * (502, 503, 504).
   */
  default FilterResult onResponse(Exchange exchange) {
    return FilterResult.CONTINUE;
  }

  /**
   * Called once when the exchange ends, however it ends (response complete, an error, the client
   * gone), for each filter whose request phase was entered, in reverse order: the place to release
   * what the request phase took (a concurrency slot) or to record the outcome. The exchange can be
   * read but no longer changed; must not throw (what it throws is logged and ignored) and must not
   * block.
   */
  default void onEnd(Exchange exchange) {}

  /**
   * Whether this filter reads the request body, declared up front (read once, when the chain is
   * compiled): 0 (the default) when it does not, so the body streams to the upstream untouched;
   * otherwise the most bytes it accepts. Before this filter's request phase the whole body is then
   * read into memory (up to the largest limit of the chain's filters; a bigger body gets 413 and
   * the connection closes), {@link Request#body()} returns it, and the upstream receives it with a
   * Content-Length.
   */
  default long bufferRequestBody() {
    return 0;
  }
}
