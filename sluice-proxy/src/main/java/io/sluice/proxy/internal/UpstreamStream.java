package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.sluice.proxy.message.ResponseMessage;

/**
 * The upstream side of one exchange attempt: where its request goes and where its response comes
 * from. The exchange drives it through this interface and hears from it only through
 * {@link Events}, so it knows no protocol: {@link UpstreamConnection} (a pooled HTTP/1.1
 * connection) implements it, and an HTTP/2 stream can.
 *
 * <p>Lifetime: a stream is bound to one attempt from its acquisition until {@link Events#onResponseEnd},
 * {@link Events#onFailure}, a {@link #DROP} answer or {@link #abort}; after any of these it sends
 * no more events and must not be used.
 *
 * <p>Threading: the exchange's event loop only, for calls and events alike.
 */
interface UpstreamStream {
  /** {@link Events#onResponseHead}: deliver the body as it is framed on the wire (HTTP/1.1 chunked stays chunked). */
  int BODY_FRAMED = 0;
  /** {@link Events#onResponseHead}: deliver the body's content only (chunk framing removed). */
  int BODY_DECODED = 1;
  /** {@link Events#onResponseHead}: the response is not wanted (a retry, a filter's replacement): the stream closes. */
  int DROP = 2;
  /** {@link Events#onResponseHead}: hold the body (and stop reading) until {@link #proceed}. */
  int WAIT = 3;

  /** Whether the request head has been sent, so the body can follow. */
  boolean isReady();

  /** Whether the stream takes more request body now; when it does not, {@link Events#onWritable} follows. */
  boolean isWritable();

  /** Sends request body bytes (taking ownership); written on {@link #flush}. */
  void write(ByteBuf body);

  void flush();

  /** The whole request has been written: the wait for the response starts. */
  void requestSent();

  /** The client side can take more response bytes again (reading resumes if it paused for it). */
  void resumeReading();

  /** After {@link #WAIT}: delivers the body as {@code mode} says ({@link #BODY_FRAMED}, {@link #BODY_DECODED} or {@link #DROP}). */
  void proceed(int mode);

  /** Ends the attempt from the client side (gone, refused, timed out): the stream is closed, no event follows. */
  void abort();

  /** What a stream tells its exchange; every call on the exchange's event loop. */
  interface Events {
    /** The request head went out on a new connection: the body can follow. */
    void onReady();

    /** The stream takes request body again after {@link UpstreamStream#isWritable} said no. */
    void onWritable();

    /**
     * The final response head arrived (interim 1xx responses are the stream's own business).
     *
     * @return {@link #BODY_FRAMED}, {@link #BODY_DECODED}, {@link #DROP} or {@link #WAIT}; for a
     *     response without a body (HEAD, 204, 304) the delivery modes mean the same
     */
    int onResponseHead(ResponseMessage head);

    /** Response body bytes, in the mode asked for; the callee owns the buffer. */
    void onResponseData(ByteBuf data);

    /**
     * The response's trailer fields, right before {@link #onResponseEnd}, when the body is delivered
     * {@link UpstreamStream#BODY_DECODED}: with {@link UpstreamStream#BODY_FRAMED} they are part of
     * the framing (HTTP/1.1's last chunk). A stream whose protocol cannot tell them apart in the
     * decoded mode (HTTP/1.1's chunked decoder) leaves them out.
     */
    void onResponseTrailers(io.sluice.proxy.message.Trailers trailers);

    /** The end of a batch of reads: a good time to flush what was written to the client. */
    void onResponseFlush();

    /** The response is complete; the stream has gone back to its pool, or closed. */
    void onResponseEnd();

    /**
     * The attempt failed: before the head (connect, reset, timeout, protocol) or during the body.
     *
     * @param staleReuse a reused connection lost the keep-alive race and the request can go again
     *     on a new connection (see {@link UpstreamConnection})
     */
    void onFailure(FailureKind kind, String message, boolean staleReuse);

    /** Whether the client side takes more response bytes now; when not, the stream stops reading until {@link UpstreamStream#resumeReading}. */
    boolean clientWritable();

    /**
     * HTTP/1.1 Upgrade: the upstream answered a request the exchange marked as a WebSocket
     * handshake with 101. The stream is done with HTTP for good (it never goes back to its pool)
     * and hands its connection over.
     *
     * @param connection the connection, its bytes past the 101 (owned by the callee)
     * @param upgrade the 101's {@code Upgrade}, or null
     * @param accept the 101's {@code Sec-WebSocket-Accept}, or null
     * @param head the 101 encoded for the client, without its hop-by-hop fields (owned by the callee)
     */
    void onSwitchingProtocols(io.sluice.proxy.websocket.TunnelSide connection, @org.jspecify.annotations.Nullable String upgrade,
        @org.jspecify.annotations.Nullable String accept, ByteBuf head);
  }
}
