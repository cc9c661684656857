package io.sluice.filter;

import java.nio.ByteBuffer;

/**
 * A piece of a request or response body on its way through a streaming filter
 * ({@link Filter#onRequestChunk}, {@link Filter#onResponseChunk}): a read-only view of its bytes,
 * and the means to replace or drop them. The content only: a chunked body's framing is removed
 * before the filters see it and written again after them.
 *
 * <p>Valid only during the call it is passed to: the gateway reuses the object and releases the
 * bytes behind {@link #data()} afterwards, so keep neither (copy what must outlive the call).
 *
 * <p>Threading: the exchange's event loop, like the other phases.
 */
public interface BodyChunk {
  /**
   * The bytes of this chunk (what the filter held after a {@link ChunkResult#PAUSE}, then the new
   * bytes), read-only, position 0; as the filters before this one left them.
   */
  ByteBuffer data();

  /** The number of bytes in {@link #data()}. */
  int length();

  /**
   * Whether this is the end of the body: no more data follows. Called once per body for each
   * streaming filter, possibly with no bytes; {@link #trailers()} can be read and edited then.
   */
  boolean isLast();

  /**
   * Replaces the bytes of this chunk with {@code bytes} (taken as they are, not copied: do not
   * change the array afterwards). May be called more than once; the last call wins.
   *
   * @throws IllegalStateException outside the call the chunk was passed to
   */
  void replace(byte[] bytes);

  /** Drops the bytes of this chunk: like {@code replace(new byte[0])}. */
  void drop();

  /**
   * The trailer fields of the body, on the last chunk only: those the client or the upstream sent
   * after a chunked body (none for a Content-Length body), with the edits of the filters before.
   * Edits are sent: the body of a message a filter streams is always sent chunked, except to an
   * HTTP/1.0 client, which gets no trailers. Fields that frame or route the message
   * (Content-Length, Transfer-Encoding, Trailer, Host, hop-by-hop fields) are refused as in
   * {@link Headers#set}.
   *
   * @throws IllegalStateException when {@link #isLast()} is false
   */
  Headers trailers();
}
