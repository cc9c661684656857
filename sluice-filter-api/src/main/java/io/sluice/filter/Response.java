package io.sluice.filter;

import org.jspecify.annotations.Nullable;

/**
 * The response as the filters see it in the response phase: its status, and its headers with the
 * edits made so far. Edits are applied when the response head is written.
 */
public interface Response {
  /** The status code, e.g. 200. */
  int status();

  /**
   * The response headers. Content-Length, Transfer-Encoding and the hop-by-hop headers are the
   * gateway's to write and cannot be edited.
   */
  Headers headers();

  /** True when the gateway made the response (a filter's, or a route's direct response), false for an upstream's. */
  boolean isLocal();

  /**
   * The buffered response body in {@link Filter#onResponseBody}; null in the response phase and
   * for a body that streams (no filter buffers it, or it is over the limit).
   */
  @Nullable Body body();

  /**
   * Replaces the response body (the array is copied); the gateway sends it with its Content-Length.
   *
   * @throws IllegalStateException outside {@link Filter#onResponseBody}
   */
  void setBody(byte[] bytes);

  /**
   * Replaces the status of an upstream's response before its head goes out: in the response
   * phase, in {@link Filter#onResponseBody}, or in {@link Filter#onResponseChunk} while no byte of
   * the body has been let through (the streaming filters hold it with {@link ChunkResult#PAUSE} or
   * drop it). For filters that turn one protocol into another, such as {@code grpc-json}, which
   * maps a gRPC status that arrives in the trailers to the HTTP status.
   *
   * @throws IllegalArgumentException when {@code status} is not 200 to 599
   * @throws IllegalStateException for a response the gateway made (answer with
   *     {@link FilterResult#respond} instead), or once the response head has gone out
   */
  void setStatus(int status);
}
