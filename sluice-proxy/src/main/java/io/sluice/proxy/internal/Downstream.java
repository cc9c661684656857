package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.sluice.filter.ClientCertificate;
import io.sluice.filter.LocalResponse;
import io.sluice.proxy.message.HeaderEdits;
import io.sluice.proxy.message.ResponseMessage;
import org.jspecify.annotations.Nullable;

/**
 * The client side of a {@link ProxyExchange}: what a protocol's server connection does for the
 * exchange it runs. The connection frames (reads heads and bodies, writes responses, keeps the
 * connection alive or closes it); the exchange decides (route, filters, upstream, response). The
 * HTTP/1.1 connection ({@link DownstreamHandler}) implements it, and so does each HTTP/2 stream
 * ({@link Http2StreamDownstream}).
 *
 * <p>The connection encodes and writes every response head itself, from neutral descriptions: the
 * upstream's response head ({@link #writeResponseHead}), a filter's local response
 * ({@link #writeLocalResponse}), a route's direct response ({@link #writeDirectResponse}) and the
 * gateway's errors ({@link #writeError}); each returns the bytes it wrote, which the exchange's
 * observation counts with the status it knows. Body bytes come through {@link #write} as content
 * (or, for HTTP/1.1, as the upstream's chunked framing when {@link #responseBodyFramed} says so).
 *
 * <p>Request bodies reach the exchange in the framing the upstream request head announces:
 * verbatim for a known length, HTTP/1.1 chunks when the length is known only at the end
 * ({@link io.sluice.proxy.message.RequestMessage#bodyChunked}), so the exchange, its replay buffer and the
 * streaming body filters see one framing whatever the client's protocol.
 *
 * <p>Threading: the connection's event loop only.
 */
interface Downstream {
  ByteBufAllocator alloc();

  EventLoop eventLoop();

  /** The client certificate the connection's TLS handshake verified, or null. */
  @Nullable ClientCertificate clientCertificate();

  /** The whole request body has been received (or there is none). */
  boolean requestComplete();

  /** The first byte of a response has been (or is being) written for this request. */
  boolean responseStarted();

  /** The connection is closed. */
  boolean isClosed();

  /** The exchange left the dispatch of its request head (filters ran, the body was read ahead, an attempt went out). */
  boolean pastDispatch();

  /** The connection closes after this exchange, whatever happens. */
  void closeAfterResponse();

  /**
   * The response head is about to be written: returns whether the connection closes after the
   * response (the client asked, the gateway is draining, the request body is not all read, or
   * {@code bodyUntilClose}: the response body is delimited by the close).
   */
  boolean beginResponse(boolean bodyUntilClose);

  /**
   * A local response (a filter's, a route's direct response) is about to be written: returns
   * whether the connection closes after it.
   *
   * @param close close it in any case (the request body is not going to be read)
   */
  boolean beginLocalResponse(boolean close);

  /** {@link #writeResponseHead}'s {@code bodyLength}: the body is framed as the upstream framed it. */
  long BODY_AS_RECEIVED = -2;
  /** {@link #writeResponseHead}'s {@code bodyLength}: the body's length is known only when it ends. */
  long BODY_UNTIL_END = -1;
  /**
   * {@link #writeResponseHead}'s {@code bodyLength}: the body streams through filters that may
   * change it; the sender frames it as {@link #responseBodyFramed()} says (HTTP/1.1: chunks to an
   * HTTP/1.1 client, which keeps its connection; the close to an HTTP/1.0 one).
   */
  long BODY_STREAMED = -3;

  /**
   * Writes the upstream's response head, encoded for the client with the response filters' {@code
   * edits} (the connection decides framing and keep-alive, as {@link #beginResponse} does); the
   * caller then writes the body as {@link #responseBodyFramed()} says. Returns the bytes written.
   *
   * @param noBody the response has no body whatever its head says (a HEAD request, 204, 304)
   * @param bodyLength {@link #BODY_AS_RECEIVED}, {@link #BODY_UNTIL_END} (the body is sent as it
   *     comes, without the upstream's framing), {@link #BODY_STREAMED}, or the exact length of the body that follows (the
   *     filters' body phase made it; {@code edits} carry its Content-Length)
   */
  int writeResponseHead(ResponseMessage head, @Nullable HeaderEdits edits, boolean noBody, long bodyLength);

  /**
   * After {@link #writeResponseHead}: whether the body goes to the client framed in chunks (an
   * HTTP/1.1 chunked body passes through as received: {@link UpstreamStream#BODY_FRAMED}; with
   * {@link #BODY_STREAMED}, the sender chunks it), or as its content ({@link UpstreamStream#BODY_DECODED}).
   */
  boolean responseBodyFramed();

  /**
   * Writes a local response (a filter's, or a route's direct response through the response
   * filters) with the response phase's {@code edits} (the connection decides keep-alive, as {@link
   * #beginLocalResponse} does); returns the bytes written.
   *
   * @param close close the connection after it in any case
   */
  int writeLocalResponse(LocalResponse response, HeaderEdits edits, boolean close);

  /** Writes a route's direct response to {@code request} (no response filter runs); returns the bytes written. */
  int writeDirectResponse(DirectResponder direct, io.sluice.proxy.message.RequestMessage request);

  /** Writes the gateway's error response for this request (the connection decides keep-alive); returns the bytes written. */
  int writeError(int status, String reason, String message);

  /**
   * Writes the refusal of an HTTP/1.1 Upgrade (a WebSocket handshake): the gateway's error, with
   * {@code Sec-WebSocket-Version} on a 426; returns the bytes written. A protocol without Upgrade
   * writes the plain error.
   */
  int writeUpgradeRefusal(int status, String reason, String message);

  /**
   * Ends the response body with trailer fields (the upstream's, delivered decoded): HTTP/2 sends
   * them as a HEADERS frame with END_STREAM; HTTP/1.1 drops them, since a body it sends decoded is
   * delimited by its length or the close (a chunked one passes the upstream's framing, trailers
   * included, through). {@link #exchangeEnded} follows.
   */
  void writeTrailers(io.sluice.proxy.message.Trailers trailers);

  /** Writes response bytes (taking ownership); written out on {@link #flush}. */
  void write(ByteBuf buf);

  void flush();

  /** Whether the client takes more response bytes now. */
  boolean isWritable();

  /** Reads the request body into memory (request buffering) and calls {@link ProxyExchange#prebuffered} when done. */
  void prebuffer();

  /** Lowers the request body limit for this request (a filter's): a chunked body beyond it is refused as it comes. */
  void limitBody(long maxBytes);

  /** The route's filters run; reading waits for them. */
  void awaitFilters();

  /** A filter reads the body: read it whole into {@link ProxyExchange#filterBody}, then {@link ProxyExchange#filterBodyDone}. */
  void readBodyForFilters();

  /** The body goes to {@code up} (the first attempt, or a retry) as it can take it. */
  void streamBodyTo(UpstreamStream up);

  /** The upstream has the request head: a client waiting for 100 Continue gets it, and the body starts moving. */
  void bodyTargetReady();

  /** The upstream takes body again after it was not writable. */
  void bodyTargetWritable();

  /** No upstream takes the body for now (a retry's backoff): it waits in the socket. */
  void holdBody();

  /** An async step of the exchange completed: go on with what was read meanwhile. */
  void resume();

  /** The exchange answered locally (error, filter, direct response) and has ended: the rest of the body is discarded, or the connection closes. */
  void localResponseDone();

  /** The exchange ended with a complete response: the next request, or the close. */
  void exchangeEnded();

  /** The response cannot be completed: the connection closes now. */
  void abortConnection();

  /**
   * HTTP/1.1 Upgrade: the 101 was written and the connection leaves HTTP for a WebSocket tunnel.
   * Returns the connection, with the bytes received past the request (the callee owns them).
   */
  io.sluice.proxy.websocket.TunnelSide switchProtocols();
}
