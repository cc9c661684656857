package io.sluice.filter;

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

  /**
   * Whether this filter reads the response body, declared up front (read once, when the chain is
   * compiled): 0 (the default) when it does not, so the body streams to the client untouched and
   * {@link #onResponseBody} is never called; otherwise the most bytes it accepts.
   *
   * <p>When a filter with a limit was visited, an upstream response with a body (Content-Length
   * or chunked, which is de-chunked; not for HEAD, 204 and 304) is held back after the response
   * phase: its head waits while the body is read into one buffer, then {@link #onResponseBody}
   * runs and the response goes out with a Content-Length (never chunked). A body over the largest
   * limit of the visited filters passes through as it streams, unmodified, and {@code
   * onResponseBody} is not called: a Content-Length over the limit is seen at once; a chunked or
   * close-delimited body that grows over it is sent de-chunked, with the bytes read so far, and the
   * client connection closes after it. A response a filter or a route's direct response made
   * (a {@link LocalResponse}) has its body at once and always gets {@code onResponseBody}.
   */
  default long bufferResponseBody() {
    return 0;
  }

  /**
   * The response body phase of a filter that declares {@link #bufferResponseBody()}: called after
   * the response phase, once the whole body is in memory, in the same reverse order, for the filters
   * whose request phase was reached. {@link Response#body()} has the body (with the edits of the
   * filters called before), {@link Response#setBody} replaces it, and the headers can still be
   * edited; the gateway writes the Content-Length. Runs on the event loop and must not block: work
   * here is bounded by the declared limit. What it throws replaces the response with 500
   * {@code filter_error}.
   */
  default void onResponseBody(Exchange exchange) {}

  /**
   * Whether this filter streams the request body, declared up front (read once, when the chain is
   * compiled): 0 (the default) when it does not, so a chain without streaming filters pays nothing;
   * otherwise the most bytes it may hold with {@link ChunkResult#PAUSE} (past it: 413
   * {@code request_body_too_large}).
   *
   * <p>Then {@link #onRequestChunk} is called for every piece of the request body after the request
   * phase, in chain order, for the filters whose request phase was reached, and once more with
   * {@link BodyChunk#isLast()} at the end. A request without a body gets no call. Because a chunk
   * may change size, the request goes upstream chunked (its Content-Length is dropped); request
   * buffering ({@code limits.requestBuffer}) still reads the start of the body before an upstream
   * connection is taken, and the filters see it once one is. A filter cannot both
   * buffer and stream the same body, and a chain whose filters would buffer and stream the same
   * direction is refused when the configuration is applied.
   */
  default long streamRequestBody() {
    return 0;
  }

  /**
   * Whether this filter streams the response body, declared up front like
   * {@link #streamRequestBody()}: 0 (the default) when it does not; otherwise the most bytes it may
   * hold with {@link ChunkResult#PAUSE} (past it: 502 {@code response_body_too_large} if nothing of
   * the response went out yet, else the client connection is closed).
   *
   * <p>Then {@link #onResponseChunk} is called for every piece of an upstream response's body, in
   * reverse chain order, for the filters whose request phase was reached, and once more at the end.
   * Not called for responses without a body (HEAD, 204, 304, Content-Length 0) nor for a response the gateway made
   * (a {@link LocalResponse}: its body is whole already; read it with {@link #bufferResponseBody}).
   * The response head goes out with the first bytes the filters let through (or at the end), and
   * the body goes to the client chunked (close-delimited for an HTTP/1.0 client).
   */
  default long streamResponseBody() {
    return 0;
  }

  /**
   * A piece of the request body of a filter that declares {@link #streamRequestBody()}; see
   * {@link BodyChunk} for what it can do with it. Runs on the event loop and must not block.
   *
   * <p>What it throws is counted and logged like any filter failure: the client gets 500
   * {@code filter_error} if no response byte went out yet (the upstream attempt, which has the
   * head and part of the body, is abandoned with its connection), else its connection is closed.
   * The client connection closes in both cases.
   */
  default ChunkResult onRequestChunk(Exchange exchange, BodyChunk chunk) {
    return ChunkResult.CONTINUE;
  }

  /**
   * A piece of the response body of a filter that declares {@link #streamResponseBody()}; see
   * {@link BodyChunk}. Runs on the event loop and must not block. What it throws is counted and
   * logged: the client gets 500 {@code filter_error} if the response head has not gone out yet,
   * else its connection is closed (the response is cut short); the upstream connection is closed.
   */
  default ChunkResult onResponseChunk(Exchange exchange, BodyChunk chunk) {
    return ChunkResult.CONTINUE;
  }
}
