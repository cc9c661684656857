package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.filter.ClientCertificate;
import io.sluice.filter.LocalResponse;
import io.sluice.proxy.http1.ChunkedParser;
import io.sluice.proxy.http1.HttpParseException;
import io.sluice.proxy.http1.LocalResponseEncoder;
import io.sluice.proxy.http1.RequestHead;
import io.sluice.proxy.http1.RequestHeadReader;
import io.sluice.proxy.http1.ResponseEncoder;
import io.sluice.proxy.http1.ResponseHead;
import io.sluice.proxy.message.HeaderEdits;
import io.sluice.proxy.message.RequestRejectedException;
import io.sluice.proxy.message.ResponseMessage;
import io.sluice.proxy.tls.internal.ClientIdentity;
import io.sluice.proxy.websocket.TunnelSide;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP/1.1 client connection, framing only: reads request heads and bodies, writes responses,
 * keeps the connection alive or closes it. What happens to each request (route, filters, upstream,
 * response) is its {@link ProxyExchange}'s business; this class is the exchange's
 * {@link Downstream}.
 *
 * <p>One exchange at a time. Pipelined requests wait, unparsed, in the buffer until the current
 * response is complete (reading pauses if they pile up beyond 64 KiB): this is the safe way to
 * support pipelining, since responses must come back in order and nothing of a later request may
 * reach an upstream early.
 *
 * <p>Request buffering: a request body is read into memory, up to the listener's
 * {@code limits.requestBuffer}, before an upstream connection is taken for it, so a client that
 * sends its body slowly holds no upstream connection meanwhile. The bytes stay in this connection's
 * receive buffer (nothing is copied out); a body that does not fit streams once the buffer is full.
 * A request without a body skips this entirely.
 *
 * <p>Back-pressure: while the upstream is not writable this connection stops reading, and while
 * this socket is not writable the upstream stream stops reading, so neither a slow client nor a
 * slow upstream makes the gateway hold more than a few buffers.
 *
 * <p>Threading: everything runs on the channel's event loop.
 */
final class DownstreamHandler extends ChannelInboundHandlerAdapter implements Downstream {
  private static final int HEAD = 0;
  /** Streaming the request body to the upstream. */
  private static final int BODY = 1;
  /** Reading and dropping the body of a request that was answered without an upstream. */
  private static final int DISCARD = 2;
  /** The request is complete; waiting for the response to complete. */
  private static final int AWAIT_RESPONSE = 3;
  private static final int CLOSED = 4;
  /** The route's filters run their request phase (they may be waiting for an async result). */
  private static final int FILTERS = 5;
  /** Reading the request body into memory for a filter that reads it. */
  private static final int BUFFER = 6;
  /** Request buffering: reading the body into the receive buffer before an upstream connection is taken. */
  private static final int PREBUFFER = 7;
  /** Bytes of pipelined requests buffered while a response is in progress before reading pauses. */
  private static final int PIPELINE_BACKLOG = 64 * 1024;

  private final ListenerRuntime listener;
  private final RequestHeadReader reader = new RequestHeadReader();
  private final ChunkedParser requestChunks = new ChunkedParser(400);
  private final ProxyExchange exchange;
  /** Where a chunked body read for the filters goes. */
  private final ChunkedParser.DataSink filterBodySink;
  @SuppressWarnings("NullAway.Init") // set in channelActive, the first event a handler gets
  private ChannelHandlerContext ctx;
  @SuppressWarnings("NullAway.Init")
  private Channel channel;
  private String clientIp = "";
  /** The scheme and client certificate of this connection, read at its first request (the TLS handshake is over then). */
  private @Nullable ClientIdentity identity;
  private @Nullable ByteBuf cumulation;
  private int state = HEAD;
  private long lastActivity;
  private long headStart;
  private @Nullable ScheduledFuture<?> timer;
  private boolean draining;
  private boolean readPaused;

  // The current request's framing.
  private @Nullable RequestHead request;
  private long bodyRemaining;
  private boolean requestComplete;
  private boolean responseStarted;
  private boolean closeAfterResponse;
  /** The response head written last passes the upstream's chunked framing on ({@link #responseBodyFramed}). */
  private boolean responseBodyFramed;
  private boolean continueSent;
  /** The listener's request buffer for the current request, in bytes (0: off). */
  private int requestBufferLimit;
  /** Chunked body bytes at the start of the receive buffer already checked while buffering. */
  private int prescanned;

  /** The request being framed; calling this between requests is a bug. */
  private RequestHead request() {
    RequestHead h = request;
    if (h == null) throw new IllegalStateException("no request in progress");
    return h;
  }

  DownstreamHandler(ListenerRuntime listener) {
    this.listener = listener;
    this.exchange = new ProxyExchange(this, listener);
    this.filterBodySink = exchange::filterBody;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.channel = ctx.channel();
    if (!listener.connectionOpened(channel)) {
      channel.close();
      return;
    }
    if (channel.remoteAddress() instanceof InetSocketAddress a) {
      clientIp = a.getAddress().getHostAddress();
    }
    lastActivity = System.nanoTime();
    ListenerConfig c = listener.config();
    scheduleTimer(c == null ? TimeUnit.SECONDS.toNanos(10) : c.headerReadTimeoutNanos);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    listener.connectionClosed(channel);
    state = CLOSED;
    if (timer != null) timer.cancel(false);
    exchange.connectionClosed();
    releaseCumulation();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    if (state == CLOSED) {
      in.release();
      return;
    }
    lastActivity = System.nanoTime();
    ByteBuf all = cumulate(in);
    if (state == AWAIT_RESPONSE || state == FILTERS) {
      // A pipelined request: keep it unread, but do not let a client pile up an unbounded backlog.
      if (all.readableBytes() > PIPELINE_BACKLOG) pauseReading();
      return;
    }
    process();
  }

  /*
   * Toggling auto-read costs a system call (epoll_ctl) each way, so it is done only when there is
   * pressure to relieve, never per request.
   */
  private void pauseReading() {
    if (!readPaused) {
      readPaused = true;
      channel.config().setAutoRead(false);
    }
  }

  private void resumeReading() {
    if (readPaused) {
      readPaused = false;
      channel.config().setAutoRead(true);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    exchange.flushUpstream();
    ByteBuf c = cumulation;
    if (c != null && !c.isReadable()) {
      c.release();
      cumulation = null;
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (channel.isWritable()) exchange.clientWritableAgain();
  }

  /**
   * The client shut down its sending side (half-close, as {@code nc -N} and some HTTP/1.0 clients
   * do after the request). A request already read is still answered; then the connection closes.
   * A request cut off mid-head or mid-body cannot be completed, so the connection closes now.
   */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (!(evt instanceof ChannelInputShutdownEvent)) {
      ctx.fireUserEventTriggered(evt);
      return;
    }
    closeAfterResponse = true;
    if (state == HEAD || state == BODY || state == DISCARD || state == BUFFER || state == PREBUFFER
        || (state == FILTERS && !requestComplete)) {
      exchange.cancel();
      channel.close();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Resets and broken pipes are the client's business; anything else is a bug on this side,
    // logged and counted. The connection is done either way: its state can't be trusted.
    if (!(cause instanceof IOException)) listener.unexpectedErrors().record(UnexpectedErrors.Where.DOWNSTREAM, cause);
    channel.close();
  }

  /** Adds {@code in} to what was received and not consumed yet; returns all of it. */
  private ByteBuf cumulate(ByteBuf in) {
    ByteBuf c = cumulation;
    if (c == null) {
      cumulation = in;
      return in;
    } else if (c.refCnt() == 1 && c.writableBytes() >= in.readableBytes()) {
      c.writeBytes(in);
      in.release();
      return c;
    } else {
      // Slices of the old buffer may still be on their way upstream; copy rather than touch it.
      // Room to grow (doubling), so that a body buffered from many small reads is not copied whole
      // on each of them.
      int needed = c.readableBytes() + in.readableBytes();
      ByteBuf merged = ctx.alloc().ioBuffer(ctx.alloc().calculateNewCapacity(needed, Integer.MAX_VALUE));
      merged.writeBytes(c).writeBytes(in);
      c.release();
      in.release();
      cumulation = merged;
      return merged;
    }
  }

  private void releaseCumulation() {
    ByteBuf c = cumulation;
    if (c != null) {
      cumulation = null;
      c.release();
    }
  }

  /** Advances the connection's state machine over the buffered bytes as far as it can go. */
  private void process() {
    try {
      while (true) {
        ByteBuf in = cumulation;
        switch (state) {
          case HEAD -> {
            if (in == null || !in.isReadable()) return;
            if (headStart == 0) headStart = System.nanoTime();
            ListenerConfig c = listener.config();
            if (c == null) {
              channel.close();
              return;
            }
            RequestHead h = reader.read(in, c.maxHeaderSize, c.maxUriLength, c.maxHeaderCount);
            if (h == null) return;
            exchange.observeHead(c, h, headStart);
            headStart = 0;
            dispatch(h, c);
          }
          case BODY -> {
            UpstreamStream up = exchange.bodyTarget();
            if (up == null || in == null || !in.isReadable()) return;
            forwardBody(in, up);
            if (!requestComplete) return;
          }
          case PREBUFFER -> {
            if (in == null || !in.isReadable()) return;
            boolean whole = prebufferBody(in);
            if (!whole && bufferedSoFar(in) < requestBufferLimit) return;
            exchange.prebuffered(whole);
          }
          case BUFFER -> {
            if (in == null || !in.isReadable()) return;
            bufferBody(in);
            if (!requestComplete) return;
            state = FILTERS;
            exchange.filterBodyDone();
          }
          case DISCARD -> {
            if (in == null || !in.isReadable()) return;
            discardBody(in);
            if (!requestComplete) return;
            state = HEAD;
            if (closeAfterResponse) {
              closeAfterFlush();
              return;
            }
          }
          default -> {
            return;
          }
        }
      }
    } catch (RequestRejectedException e) {
      badRequest(e);
    }
  }

  /** Sets up the framing of a new request, then hands it to the exchange. */
  private void dispatch(RequestHead h, ListenerConfig c) {
    request = h;
    ClientIdentity id = identity;
    if (id == null) identity = id = ClientIdentity.of(channel);
    h.setConnection(clientIp, id.scheme(), id.forwardedLine());
    requestComplete = !h.hasBody();
    responseStarted = false;
    continueSent = false;
    if (!requestComplete) {
      requestBufferLimit = c.requestBufferBytes;
      prescanned = 0;
    }
    closeAfterResponse = !h.keepAlive() || draining;
    bodyRemaining = h.contentLength() > 0 ? h.contentLength() : 0;
    if (h.isChunked()) requestChunks.reset(c.maxBodySize);
    exchange.start(h, c);
  }

  /**
   * Checks the body received so far without consuming it; true when it is complete (then it can be
   * sent again) or fills the request buffer (then the rest streams).
   */
  private boolean prebufferBody(ByteBuf in) {
    int start = in.readerIndex();
    if (request().isChunked()) {
      prescanned = requestChunks.scan(in, start + prescanned, in.writerIndex(), null) - start;
      return requestChunks.isDone();
    }
    return Math.min(bodyRemaining, in.readableBytes()) == bodyRemaining;
  }

  private long bufferedSoFar(ByteBuf in) {
    return request().isChunked() ? prescanned : Math.min(bodyRemaining, in.readableBytes());
  }

  private void bufferBody(ByteBuf in) {
    int from = in.readerIndex();
    int to = in.writerIndex();
    if (request().isChunked()) {
      in.readerIndex(requestChunks.scan(in, from, to, filterBodySink));
      requestComplete = requestChunks.isDone();
    } else {
      int n = (int) Math.min(bodyRemaining, to - from);
      exchange.filterBody(in, from, n);
      in.readerIndex(from + n);
      bodyRemaining -= n;
      requestComplete = bodyRemaining == 0;
    }
  }

  private void forwardBody(ByteBuf in, UpstreamStream up) {
    int from = in.readerIndex();
    int to = in.writerIndex();
    int end;
    if (request().isChunked()) {
      // What request buffering already checked goes out without a second scan.
      int checked = from + prescanned;
      prescanned = 0;
      end = requestChunks.scan(in, checked, to, null);
      requestComplete = requestChunks.isDone();
    } else {
      end = from + (int) Math.min(bodyRemaining, to - from);
      bodyRemaining -= end - from;
      requestComplete = bodyRemaining == 0;
    }
    if (end > from) {
      exchange.forwardBody(up, in, from, end - from);
      in.readerIndex(end);
    }
    if (requestComplete) {
      state = AWAIT_RESPONSE;
      exchange.bodyForwarded(up);
    } else if (!up.isWritable()) {
      pauseReading();
    }
  }

  private void discardBody(ByteBuf in) {
    int from = in.readerIndex();
    int to = in.writerIndex();
    if (request().isChunked()) {
      in.readerIndex(requestChunks.scan(in, from, to, null));
      requestComplete = requestChunks.isDone();
    } else {
      int n = (int) Math.min(bodyRemaining, to - from);
      in.skipBytes(n);
      bodyRemaining -= n;
      requestComplete = bodyRemaining == 0;
    }
    exchange.bytesIn(in.readerIndex() - from);
  }

  private void sendContinue() {
    continueSent = true;
    ctx.writeAndFlush(Unpooled.wrappedBuffer(Responses.CONTINUE));
  }

  // ---- Downstream: what the exchange asks of this connection

  @Override
  public ByteBufAllocator alloc() {
    return ctx.alloc();
  }

  @Override
  public EventLoop eventLoop() {
    return channel.eventLoop();
  }

  @Override
  public @Nullable ClientCertificate clientCertificate() {
    ClientIdentity id = identity;
    return id == null ? null : id.certificate();
  }

  @Override
  public boolean requestComplete() {
    return requestComplete;
  }

  @Override
  public boolean responseStarted() {
    return responseStarted;
  }

  @Override
  public boolean isClosed() {
    return state == CLOSED;
  }

  @Override
  public boolean pastDispatch() {
    return state != HEAD;
  }

  @Override
  public void closeAfterResponse() {
    closeAfterResponse = true;
  }

  @Override
  public boolean beginResponse(boolean bodyUntilClose) {
    responseStarted = true;
    if (!requestComplete || bodyUntilClose || draining) closeAfterResponse = true;
    return closeAfterResponse;
  }

  @Override
  public boolean beginLocalResponse(boolean close) {
    RequestHead h = request;
    if (close || draining || (h != null && h.expectsContinue() && !requestComplete)) closeAfterResponse = true;
    responseStarted = true;
    return closeAfterResponse;
  }

  @Override
  public int writeResponseHead(ResponseMessage head, @Nullable HeaderEdits edits, boolean noBody, long bodyLength) {
    return written(encodeResponseHead(head, edits, noBody, bodyLength));
  }

  /** Writes {@code buf} (taking ownership); returns its length. */
  private int written(ByteBuf buf) {
    int n = buf.readableBytes();
    ctx.write(buf, ctx.voidPromise());
    return n;
  }

  private ByteBuf encodeResponseHead(ResponseMessage head, @Nullable HeaderEdits edits, boolean noBody, long bodyLength) {
    boolean client10 = request().isHttp10();
    if (!(head instanceof ResponseHead h1)) {
      // Another protocol's head (HTTP/2): a body whose length is not known up front goes in chunks
      // that its stream frames (BODY_FRAMED), trailers in the last one; to an HTTP/1.0 client it is
      // sent as it comes, delimited by the close.
      boolean lengthAsReceived = bodyLength == BODY_AS_RECEIVED && head.bodyLength() >= 0;
      boolean unknown = !noBody && bodyLength < 0 && !lengthAsReceived;
      boolean chunk = unknown && !client10 && bodyLength != BODY_UNTIL_END;
      boolean close = beginResponse(unknown && !chunk);
      responseBodyFramed = chunk;
      return ResponseEncoder.encode(ctx.alloc(), head, edits, noBody || lengthAsReceived, close, client10 && !close,
          chunk);
    }
    boolean chunked;
    boolean untilClose;
    if (noBody) {
      chunked = untilClose = false;
    } else if (bodyLength == BODY_AS_RECEIVED) {
      // Chunked stays chunked, except for an HTTP/1.0 client: it gets the content, delimited by the close.
      chunked = h1.isChunked() && !client10;
      untilClose = h1.isChunked() ? client10 : h1.bodyLength() < 0;
    } else if (bodyLength == BODY_STREAMED) {
      chunked = !client10;
      untilClose = client10;
    } else {
      chunked = false;
      untilClose = bodyLength == BODY_UNTIL_END;
    }
    boolean close = beginResponse(untilClose);
    responseBodyFramed = chunked;
    ByteBuf out = ctx.alloc().ioBuffer(h1.length() + 96);
    h1.encodeForDownstream(out, chunked, close, client10 && !close, edits, bodyLength == BODY_STREAMED);
    return out;
  }

  @Override
  public int writeLocalResponse(LocalResponse response, HeaderEdits edits, boolean close) {
    boolean closing = beginLocalResponse(close);
    return written(LocalResponseEncoder.encode(ctx.alloc(), response, edits, closing, request().method().equals("HEAD")));
  }

  @Override
  public int writeDirectResponse(DirectResponder direct, io.sluice.proxy.message.RequestMessage request) {
    boolean close = beginLocalResponse(false);
    return written(direct.encode(ctx.alloc(), request, close));
  }

  @Override
  public boolean responseBodyFramed() {
    return responseBodyFramed;
  }

  @Override
  public int writeError(int status, String reason, String message) {
    return written(encodeError(status, reason, message));
  }

  @Override
  public int writeUpgradeRefusal(int status, String reason, String message) {
    ByteBuf response = encodeError(status, reason, message);
    if (status == 426) response = io.sluice.proxy.websocket.WebSocketHandshake.withVersionField(response, ctx.alloc());
    return written(response);
  }

  private ByteBuf encodeError(int status, String reason, String message) {
    RequestHead h = request;
    if (h != null && h.expectsContinue() && !requestComplete) closeAfterResponse = true;
    responseStarted = true;
    boolean head = h != null && h.method().equals("HEAD");
    return Responses.error(ctx.alloc(), status, reason, message, closeAfterResponse, head);
  }

  @Override
  public void writeTrailers(io.sluice.proxy.message.Trailers trailers) {
    // Decoded delivery means a length- or close-delimited body here: HTTP/1.1 has no place for them.
  }

  @Override
  public void write(ByteBuf buf) {
    ctx.write(buf, ctx.voidPromise());
  }

  @Override
  public void flush() {
    ctx.flush();
  }

  @Override
  public boolean isWritable() {
    return channel.isWritable();
  }

  @Override
  public void prebuffer() {
    // A client that waits for 100 Continue gets it now, from the gateway.
    state = PREBUFFER;
    if (request().expectsContinue() && !continueSent) sendContinue();
    resumeReading();
  }

  @Override
  public void limitBody(long maxBytes) {
    requestChunks.limit(maxBytes);
  }

  @Override
  public void awaitFilters() {
    state = FILTERS;
  }

  @Override
  public void readBodyForFilters() {
    if (request().expectsContinue() && !responseStarted) ctx.writeAndFlush(Unpooled.wrappedBuffer(Responses.CONTINUE));
    state = BUFFER;
    resumeReading();
  }

  @Override
  public void streamBodyTo(UpstreamStream up) {
    state = requestComplete ? AWAIT_RESPONSE : BODY;
    // Connecting: the body waits in the socket until the request can be written.
    if (!up.isReady() && !requestComplete) pauseReading();
  }

  @Override
  public void bodyTargetReady() {
    RequestHead h = request;
    if (h != null && h.expectsContinue() && !requestComplete && !responseStarted && !continueSent) sendContinue();
    if (state == BODY) {
      resumeReading();
      process();
      exchange.flushUpstream();
    }
  }

  @Override
  public void bodyTargetWritable() {
    if (state == BODY) resumeReading();
  }

  @Override
  public void holdBody() {
    if (!requestComplete) pauseReading();
  }

  @Override
  public void resume() {
    if (state == CLOSED) return;
    process();
    exchange.flushUpstream();
  }

  @Override
  public void localResponseDone() {
    resumeReading();
    if (requestComplete) {
      if (closeAfterResponse) {
        closeAfterFlush();
      } else {
        ctx.flush();
        state = HEAD;
      }
    } else if (closeAfterResponse) {
      closeAfterFlush();
    } else {
      ctx.flush();
      state = DISCARD;
    }
  }

  @Override
  public void exchangeEnded() {
    request = null;
    if (closeAfterResponse || state == CLOSED) {
      closeAfterFlush();
      return;
    }
    state = HEAD;
    lastActivity = System.nanoTime();
    resumeReading();
    if (cumulation != null && cumulation.isReadable()) process();
  }

  @Override
  public void abortConnection() {
    channel.close();
  }

  @Override
  public TunnelSide switchProtocols() {
    // From here on the tunnel's relay, in front of this handler, gets the connection's events;
    // this handler sees only the close (channelInactive), and cleans up as for any connection.
    state = AWAIT_RESPONSE;
    request = null;
    if (timer != null) timer.cancel(false);
    readPaused = false;
    ByteBuf rest = cumulation;
    cumulation = null;
    return new TunnelSide(ctx, rest);
  }

  private void badRequest(RequestRejectedException e) {
    if (state == CLOSED) return;
    // In HEAD the previous exchange is over: its responseStarted says nothing about this request.
    if (responseStarted && state != HEAD) {
      channel.close();
      return;
    }
    state = CLOSED;
    releaseCumulation();
    reader.reset();
    String reason = switch (e.status()) {
      case 413 -> "request_body_too_large";
      case 414 -> "uri_too_long";
      case 417 -> "expectation_failed";
      case 431 -> "request_header_too_large";
      case 500 -> "filter_error"; // a streaming body filter failed (BodyStreams)
      case 501 -> "not_implemented";
      case 505 -> "http_version_not_supported";
      default -> "bad_request";
    };
    ctx.writeAndFlush(exchange.rejected(listener.config(), clientIp, reason,
            Responses.error(ctx.alloc(), e.status(), reason, e.getMessage(), true, false)))
        .addListener(ChannelFutureListener.CLOSE);
  }

  private void closeAfterFlush() {
    state = CLOSED;
    pauseReading();
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  /**
   * The connection speaks HTTP/2 (ALPN chose it, or its first bytes were the h2c preface), before
   * any request was read: this handler leaves the pipeline to the HTTP/2 handlers. The connection
   * stays counted on its listener; the HTTP/2 connection uncounts it when it closes.
   */
  void handOver() {
    state = CLOSED;
    if (timer != null) timer.cancel(false);
    releaseCumulation();
    ctx.pipeline().remove(this);
  }

  /** Shutdown: close now if idle, else after the response in progress. */
  void drain() {
    draining = true;
    if (state == HEAD && !reader.inProgress() && (cumulation == null || !cumulation.isReadable())) {
      channel.close();
    } else {
      closeAfterResponse = true;
    }
  }

  // ---- timeouts: one timer per connection, re-armed only when it fires ----

  private void scheduleTimer(long delayNanos) {
    timer = ctx.executor().schedule(this::onTimer, Math.max(delayNanos, TimeUnit.MILLISECONDS.toNanos(10)), TimeUnit.NANOSECONDS);
  }

  private void onTimer() {
    if (state == CLOSED || !channel.isActive()) return;
    ListenerConfig c = listener.config();
    if (c == null) {
      channel.close();
      return;
    }
    long now = System.nanoTime();
    long next;
    if (state == HEAD && headStart != 0) {
      long left = headStart + c.headerReadTimeoutNanos - now;
      if (left <= 0) {
        closeAfterResponse = true;
        badRequestTimeout();
        return;
      }
      next = left;
    } else if (state == HEAD || state == BODY || state == DISCARD || state == BUFFER || state == PREBUFFER) {
      // While reading is paused because the upstream is not taking the body yet (back-pressure, or
      // still connecting), the wait is the gateway's, not the client's: it is not idleness.
      if (state == BODY && readPaused) lastActivity = now;
      long left = lastActivity + c.idleTimeoutNanos - now;
      if (left <= 0) {
        if (state == BODY || state == BUFFER || state == PREBUFFER) {
          exchange.clientBodyTimedOut();
        } else {
          channel.close();
        }
        return;
      }
      // Idle connections are checked often enough that a head starting now times out at most
      // a quarter of the header-read timeout late.
      next = state == HEAD ? Math.min(left, c.headerReadTimeoutNanos / 4) : left;
    } else {
      next = c.idleTimeoutNanos;
    }
    scheduleTimer(next);
  }

  private void badRequestTimeout() {
    state = CLOSED;
    releaseCumulation();
    ctx.writeAndFlush(exchange.rejected(listener.config(), clientIp, "request_header_timeout", Responses.error(ctx.alloc(), 408,
            "request_header_timeout", "request head not received in time", true, false)))
        .addListener(ChannelFutureListener.CLOSE);
  }
}
