package io.sluice.filter;

/**
 * What a streaming filter does with the flow of a body after seeing a chunk
 * ({@link Filter#onRequestChunk}, {@link Filter#onResponseChunk}).
 */
public enum ChunkResult {
  /**
   * The chunk (as the filter left it: kept, {@linkplain BodyChunk#replace replaced} or
   * {@linkplain BodyChunk#drop dropped}), with whatever this filter held before, goes on to the
   * next filter.
   */
  CONTINUE,
  /**
   * Hold the chunk: nothing of it goes on now. The next call to this filter gets what it held
   * followed by the new bytes as one chunk (like proxy-wasm's {@code StopIterationAndBuffer}), so a
   * filter can wait for more context, up to the end of the stream. What a filter holds is bounded
   * by the limit it declared ({@link Filter#streamRequestBody()}, {@link Filter#streamResponseBody()});
   * past it the request gets 413 {@code request_body_too_large}, the response 502
   * {@code response_body_too_large}. Returned for the last chunk it means {@link #CONTINUE}: nothing
   * more can come.
   */
  PAUSE
}
