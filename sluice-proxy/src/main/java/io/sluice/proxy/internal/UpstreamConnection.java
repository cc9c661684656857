package io.sluice.proxy.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.unix.Errors;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.proxy.filter.internal.FilterExchange;
import io.sluice.proxy.http1.ChunkedParser;
import io.sluice.proxy.http1.HeaderEdits;
import io.sluice.proxy.http1.HttpParseException;
import io.sluice.proxy.http1.RequestHead;
import io.sluice.proxy.http1.ResponseHead;
import io.sluice.proxy.tls.internal.ClientTls;
import io.sluice.proxy.upstream.Endpoint;
import java.io.IOException;
import java.net.SocketException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP/1.1 connection to an upstream endpoint, opened on the event loop of the client
 * connection that first needed it, and pooled on that loop between exchanges.
 *
 * <p>While bound to a {@link DownstreamHandler} it reads the response head, rewrites it, and
 * streams the body to the client verbatim (chunked stays chunked; only an HTTP/1.0 client gets the
 * chunk framing removed). It goes back to its loop's pool only when both the request and the
 * response were complete and both sides allow keep-alive; otherwise it is closed.
 *
 * <p>The keep-alive race every pooling proxy has to handle: the upstream closes a pooled connection
 * (idle, or right after its last response without saying so) while the next request is on its
 * way. An idempotent request whose body is in memory (or that has none) that fails on a reused
 * connection before any response byte arrives is retried once on a new connection. A request that
 * must not reach the upstream twice (POST, PATCH, ...) is kept out of the race where it can be:
 * it reuses only a connection used within the last second that the kernel still has established
 * ({@link LoopContext#pollSafe}); and it is retried once on a new connection only when the
 * upstream provably did not read it: the connection was reset (the upstream closed it with the
 * request unread, or had closed it before the request arrived), and its body was all in memory.
 * A plain close after the request went out may mean the upstream acted on it: that is a 502.
 * This connection only tells the race from other failures; going again is {@link UpstreamAttempts}'
 * decision, like any other attempt's.
 *
 * <p>Threading: everything runs on the connection's event loop.
 */
final class UpstreamConnection extends ChannelInboundHandlerAdapter {
  private static final int IDLE = 0;
  private static final int HEAD = 1;
  private static final int BODY_LENGTH = 2;
  private static final int BODY_CHUNKED = 3;
  private static final int BODY_CHUNKED_DECODE = 4;
  private static final int BODY_UNTIL_CLOSE = 5;
  private static final int CLOSED = 6;
  /** The response head is read; the route's response filters are waiting for an async result. */
  private static final int FILTERING = 7;
  /** The body is being read for the filters' body phase (see {@link #collectMode}); the head waits. */
  private static final int COLLECTING = 8;
  private static final int MAX_RESPONSE_HEAD = 64 * 1024;

  private final LoopContext loopContext;
  private final Endpoint endpoint;
  private final UnexpectedErrors unexpected;
  private final ResponseHead head = new ResponseHead();
  private final ChunkedParser chunks = new ChunkedParser(502);
  private final ChunkedParser.DataSink decodeSink = this::forwardData;
  private Channel channel;
  private boolean ready;
  private int state = IDLE;
  private @Nullable ByteBuf cumulation;
  private long idleSince;
  private long idleTimeoutNanos;
  private boolean reused;
  private boolean pausedByDownstream;
  private boolean pausedForFilters;
  private final Runnable responseFiltered = this::responseFiltered;
  private final ChunkedParser.DataSink collectSink = this::collectData;
  /** While {@link #COLLECTING}: the state the body is read in (BODY_LENGTH, BODY_CHUNKED_DECODE, BODY_UNTIL_CLOSE). */
  private int collectMode;

  // The current exchange.
  private @Nullable DownstreamHandler down;
  private @Nullable UpstreamRuntime upstream;
  private @Nullable ByteBuf pendingHead;
  /** A reused connection that closes before any response byte: the request goes again on a new one (see class doc). */
  private boolean retryIfClosed;
  /** A reused connection that the upstream resets before any response byte: the request goes again on a new one. */
  private boolean retryIfRefused;
  /** The upstream reset this connection (it did not read what the gateway sent last). */
  private boolean refused;
  /** The TLS alert a new connection got in place of the response (see exceptionCaught), or null. */
  private @Nullable String tlsRefusal;
  /** When the response head must have arrived (System.nanoTime), or 0 when none is awaited. */
  private long responseDeadline;
  /** The response timeout of the current exchange (the route's or the upstream's). */
  private long responseTimeoutNanos;
  private @Nullable ScheduledFuture<?> responseTimer;
  private boolean requestSent;
  private boolean active;
  private boolean responseBytesSeen;
  private long remaining;
  private boolean reusable;

  private UpstreamConnection(LoopContext loopContext, Endpoint endpoint, UnexpectedErrors unexpected) {
    this.loopContext = loopContext;
    this.endpoint = endpoint;
    this.unexpected = unexpected;
  }

  /**
   * Binds a pooled connection to {@code endpoint} for the request whose head is {@code requestHead},
   * or opens a new one. Takes ownership of {@code requestHead}, except when null is returned: then
   * the endpoint's connection limit is reached and nothing was done.
   */
  static @Nullable UpstreamConnection acquire(
      DownstreamHandler down, LoopThread loop, UpstreamRuntime upstream, Endpoint endpoint, ByteBuf requestHead) {
    LoopContext lc = loop.context();
    long now = System.nanoTime();
    UpstreamConnection c = isIdempotent(down.request().method())
        ? lc.pollIdle(endpoint, upstream.idleTimeoutNanos, now)
        : lc.pollSafe(endpoint, now);
    if (c != null) {
      c.bind(down, upstream, requestHead, true);
      // Not notified: the caller sees isReady() and goes on itself (notifying it here too sent a
      // second 100 Continue to a client that expects one).
      c.writeHead(requestHead, false);
      return c;
    }
    return open(down, loop, upstream, endpoint, requestHead);
  }

  /**
   * Opens a new connection to {@code endpoint} for the request whose head is {@code requestHead}
   * (never a pooled one). Takes ownership of {@code requestHead}, except when null is returned: then
   * the endpoint's connection limit is reached and nothing was done.
   */
  static @Nullable UpstreamConnection open(
      DownstreamHandler down, LoopThread loop, UpstreamRuntime upstream, Endpoint endpoint, ByteBuf requestHead) {
    if (!endpoint.tryOpenConnection(upstream.maxConnectionsPerEndpoint)) {
      return null;
    }
    UpstreamConnection c = new UpstreamConnection(loop.context(), endpoint, down.unexpectedErrors());
    ClientTls tls = upstream.tls;
    c.bind(down, upstream, requestHead, false);
    c.pendingHead = requestHead;
    Channel downstream = down.context().channel();
    ChannelFuture f = new Bootstrap()
        .group(downstream.eventLoop())
        .channel(Transport.socketChannelClass())
        .option(ChannelOption.TCP_NODELAY, true)
        // The same allocator as the client side: one buffer type on the hot path keeps call sites monomorphic.
        .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, upstream.connectTimeoutMillis)
        // The upstream's FIN arrives as an event, with the socket still open: its TCP state then
        // tells a plain close from a reset of what the gateway had sent (see userEventTriggered).
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .handler(tls == null ? c : tls.initializer(c, endpoint.socketAddress().getHostString(), endpoint.socketAddress().getPort()))
        .connect(endpoint.socketAddress());
    c.channel = f.channel();
    c.channel.closeFuture().addListener(x -> endpoint.connectionClosed());
    if (tls == null) {
      f.addListener(x -> c.connected(f, false));
    } else {
      // Connected once the handshake is done: a certificate that does not verify fails the attempt
      // before any byte of the request is sent.
      f.addListener(x -> {
        SslHandler ssl = f.isSuccess() ? c.channel.pipeline().get(SslHandler.class) : null;
        if (ssl == null) {
          c.connected(f, false);
        } else {
          ssl.handshakeFuture().addListener(h -> c.connected(h, true));
        }
      });
    }
    return c;
  }

  private void bind(DownstreamHandler d, UpstreamRuntime u, ByteBuf requestHead, boolean reused) {
    this.down = d;
    this.upstream = u;
    this.reused = reused;
    this.idleTimeoutNanos = u.idleTimeoutNanos;
    this.responseTimeoutNanos = d.responseTimeoutNanos(u);
    this.state = HEAD;
    this.requestSent = d.requestComplete();
    this.responseBytesSeen = false;
    this.active = true;
    endpoint.requestStarted();
    this.refused = false;
    boolean replayable = reused && d.bodyReplayable();
    this.retryIfRefused = replayable;
    this.retryIfClosed = replayable && isIdempotent(d.request().method());
  }

  private static boolean isIdempotent(String method) {
    return switch (method) {
      case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" -> true;
      default -> false;
    };
  }

  /** The connection is established ({@code handshake}: the TLS handshake is done), or failed to be. */
  private void connected(Future<?> f, boolean handshake) {
    ByteBuf h = pendingHead;
    pendingHead = null;
    DownstreamHandler d = down;
    if (!f.isSuccess()) {
      if (h != null) h.release();
      state = CLOSED;
      endActive();
      if (handshake) channel.close();
      if (d != null) {
        down = null;
        Throwable cause = f.cause();
        FailureKind kind = handshake
            ? (ClientTls.isCertificateProblem(cause) ? FailureKind.CERT_INVALID : FailureKind.TLS_HANDSHAKE)
            : cause instanceof ConnectTimeoutException ? FailureKind.CONNECT_TIMEOUT : FailureKind.CONNECT_FAILURE;
        String what = handshake ? "TLS handshake with " + endpoint.address() + " failed" : "cannot connect to " + endpoint.address();
        d.upstreamFailed(kind, what + ": " + cause.getMessage());
      }
      return;
    }
    if (d == null || h == null || state == CLOSED) {
      // The exchange was aborted while we were connecting.
      if (h != null) h.release();
      close();
      return;
    }
    writeHead(h, true);
  }

  private void writeHead(ByteBuf h, boolean notifyDownstream) {
    ready = true;
    channel.writeAndFlush(h, channel.voidPromise());
    if (requestSent) armResponseTimer(responseTimeoutNanos);
    DownstreamHandler d = down;
    if (notifyDownstream && d != null) d.upstreamReady();
  }

  boolean isReady() {
    return ready;
  }

  boolean isUsable() {
    return state == IDLE && channel.isActive();
  }

  Channel channel() {
    return channel;
  }

  long idleSince() {
    return idleSince;
  }

  long idleTimeoutNanos() {
    return idleTimeoutNanos;
  }

  boolean isWritable() {
    return channel.isWritable();
  }

  void write(ByteBuf body) {
    channel.write(body, channel.voidPromise());
  }

  void flush() {
    channel.flush();
  }

  /** The whole request body has been written. */
  void requestSent() {
    requestSent = true;
    // Like Envoy's route timeout, the wait for the response starts once the request is all sent,
    // so a long upload is not cut off by the response timeout.
    if (state == HEAD && upstream != null) armResponseTimer(responseTimeoutNanos);
  }

  void resumeReading() {
    if (pausedByDownstream) {
      pausedByDownstream = false;
      if (!pausedForFilters) channel.config().setAutoRead(true);
    }
  }

  void close() {
    state = CLOSED;
    channel.close();
  }

  /**
   * Closes this idle connection once the loop has handled the I/O events it is in the middle of.
   * For a connection whose FIN is waiting in the kernel: that FIN's event may be among them, and a
   * connection opened in the meantime could get the same file descriptor and that stale event.
   */
  void closeLater() {
    channel.eventLoop().execute(this::close);
  }

  /** Ends the exchange from the client side (gone, or refused mid-request): this connection closes. */
  void abort() {
    down = null;
    endActive();
    close();
  }

  void downstreamClosed() {
    abort();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    if (down == null || state == IDLE || state == CLOSED) {
      // Bytes nobody asked for: the connection's framing can no longer be trusted.
      in.release();
      close();
      return;
    }
    responseBytesSeen = true;
    ByteBuf c = cumulation;
    if (c == null) {
      cumulation = in;
    } else {
      ByteBuf merged = ctx.alloc().ioBuffer(c.readableBytes() + in.readableBytes());
      merged.writeBytes(c).writeBytes(in);
      c.release();
      in.release();
      cumulation = merged;
    }
    try {
      processResponse();
    } catch (HttpParseException e) {
      fail(FailureKind.PROTOCOL_ERROR, e.getMessage());
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    DownstreamHandler d = down;
    if (d != null) d.flushResponse();
    ByteBuf c = cumulation;
    if (c != null && !c.isReadable()) {
      cumulation = null;
      c.release();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    DownstreamHandler d = down;
    if (d != null && channel.isWritable()) d.upstreamWritable();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (isReset(cause)) {
      refused = true;
    } else if (state == HEAD && !reused && !responseBytesSeen && ClientTls.isAlert(cause)) {
      // TLS 1.3: the upstream checks the client certificate after the client's handshake is done,
      // so its refusal arrives as an alert in place of the response.
      tlsRefusal = String.valueOf((cause.getCause() != null ? cause.getCause() : cause).getMessage());
    } else if (!(cause instanceof IOException)) {
      // Not the network: a bug here or in what this handler called. Logged and counted; the
      // exchange fails as the upstream closing would make it (channelInactive).
      unexpected.record(UnexpectedErrors.Where.UPSTREAM, cause);
    }
    // Not close(): channelInactive must see the state the connection was in, so that a reset
    // while awaiting the response head is retried or reported as such, and an idle one unpooled.
    channel.close();
  }

  /** ECONNRESET on a read, or EPIPE on a write after one: the upstream threw away what it had not read. */
  private static boolean isReset(Throwable cause) {
    if (cause instanceof Errors.NativeIoException e) {
      return e.expectedErr() == Errors.ERRNO_ECONNRESET_NEGATIVE || e.expectedErr() == Errors.ERRNO_EPIPE_NEGATIVE;
    }
    return cause instanceof SocketException && cause.getMessage() != null && cause.getMessage().contains("reset");
  }

  /**
   * The upstream closed its side (FIN). The gateway never half-closes an HTTP/1.1 upstream
   * connection, so the connection is closed, as it was before half-closure was allowed. But a
   * request awaiting its response that could go again ({@link #retryIfRefused}) first learns
   * whether the upstream read it: if the upstream had closed before the request arrived, its
   * kernel answers the request's bytes with a reset, which this socket, still open, records in its
   * TCP state. The reset may trail the FIN, so a FIN alone waits briefly for it.
   */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (!(evt instanceof ChannelInputShutdownEvent)) {
      ctx.fireUserEventTriggered(evt);
      return;
    }
    // An idempotent request goes again whatever the close was: nothing to wait for.
    if (state == HEAD && retryIfRefused && !retryIfClosed && !responseBytesSeen && down != null) {
      SocketState sockets = loopContext.sockets();
      long wait = sockets.resetWaitNanos(channel);
      if (sockets.reset(channel)) {
        refused = true;
      } else if (wait > 0) {
        channel.eventLoop().schedule(this::closedWithoutResponse, wait, TimeUnit.NANOSECONDS);
        return;
      }
    }
    channel.close();
  }

  /** The wait for a reset after the upstream's FIN is over (see {@link #userEventTriggered}). */
  private void closedWithoutResponse() {
    if (!channel.isOpen()) return;
    if (state == HEAD && loopContext.sockets().reset(channel)) refused = true;
    channel.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    int was = state;
    state = CLOSED;
    ByteBuf c = cumulation;
    if (c != null) {
      cumulation = null;
      c.release();
    }
    responseDeadline = 0;
    if (responseTimer != null) responseTimer.cancel(false);
    DownstreamHandler d = down;
    if (d == null) {
      if (was == IDLE) loopContext.removeIdle(endpoint, this);
      return;
    }
    down = null;
    if (was == COLLECTING && collectMode == BODY_UNTIL_CLOSE) {
      endActive();
      collected(d);
      return;
    }
    if (was == BODY_UNTIL_CLOSE) {
      endActive();
      d.flushResponse();
      d.exchangeComplete();
      return;
    }
    // The keep-alive race lost (see class doc): the attempts decide whether the request goes again.
    boolean stale = was == HEAD && !responseBytesSeen && (retryIfClosed || (retryIfRefused && refused));
    endActive();
    String alert = tlsRefusal;
    if (alert != null && was == HEAD) {
      d.upstreamFailed(FailureKind.TLS_HANDSHAKE, "upstream " + endpoint.address() + " refused the TLS session: " + alert);
      return;
    }
    d.upstreamFailed(FailureKind.RESET, "upstream " + endpoint.address() + " closed the connection"
        + (was == HEAD ? " before responding" : " during the response"), stale);
  }

  private void processResponse() {
    ByteBuf in = cumulation;
    DownstreamHandler d = down;
    while (d != null && in.isReadable()) {
      switch (state) {
        case HEAD -> {
          if (!head.read(in, MAX_RESPONSE_HEAD)) return;
          if (head.status() < 200) {
            if (head.status() == 101) throw new HttpParseException(502, "unexpected 101 Switching Protocols");
            continue; // interim responses are the gateway's to handle, not the client's
          }
          onResponseHead(d);
        }
        case BODY_LENGTH -> {
          int from = in.readerIndex();
          int n = (int) Math.min(remaining, in.readableBytes());
          d.writeResponse(in.retainedSlice(from, n));
          in.readerIndex(from + n);
          remaining -= n;
          if (remaining == 0) complete(d);
        }
        case BODY_CHUNKED -> {
          int from = in.readerIndex();
          int end = chunks.scan(in, from, in.writerIndex(), null);
          if (end > from) d.writeResponse(in.retainedSlice(from, end - from));
          in.readerIndex(end);
          if (chunks.isDone()) complete(d);
        }
        case BODY_CHUNKED_DECODE -> {
          int end = chunks.scan(in, in.readerIndex(), in.writerIndex(), decodeSink);
          in.readerIndex(end);
          if (chunks.isDone()) complete(d);
        }
        case BODY_UNTIL_CLOSE -> {
          d.writeResponse(in.retainedSlice());
          in.readerIndex(in.writerIndex());
        }
        case COLLECTING -> collect(d, in);
        default -> {
          return;
        }
      }
      d = down;
      if (d != null && !d.isWritable() && !pausedByDownstream) {
        pausedByDownstream = true;
        channel.config().setAutoRead(false);
      }
    }
  }

  private void forwardData(ByteBuf buf, int index, int length) {
    DownstreamHandler d = down;
    if (d != null && length > 0) d.writeResponse(buf.retainedSlice(index, length));
  }

  private void onResponseHead(DownstreamHandler d) {
    responseDeadline = 0;
    retryIfClosed = false;
    retryIfRefused = false;
    if (d.retryOnResponse(head.status())) {
      // Retried elsewhere: this response is dropped unread, with its connection.
      down = null;
      endActive();
      close();
      return;
    }
    FilterExchange filters = d.filtersInUse();
    if (filters != null) {
      switch (filters.filterUpstreamResponse(head, responseFiltered)) {
        case FilterExchange.RESPONSE_PENDING -> {
          // Nothing of the response moves until the filters are done; the body waits in the socket.
          state = FILTERING;
          pausedForFilters = true;
          channel.config().setAutoRead(false);
          return;
        }
        case FilterExchange.RESPONSE_REPLACED -> {
          replacedByFilter(d);
          return;
        }
        default -> {}
      }
    }
    writeResponseHead(d, filters == null ? null : filters.responseEdits());
  }

  /** The response filters finished after waiting: the head goes out (or the filters' response), then the body. */
  private void responseFiltered() {
    DownstreamHandler d = down;
    if (d == null || state != FILTERING) return;
    FilterExchange filters = d.filtersInUse();
    if (filters == null || filters.responseReplaced()) {
      replacedByFilter(d);
      return;
    }
    writeResponseHead(d, filters.responseEdits());
    pausedForFilters = false;
    if (!pausedByDownstream) channel.config().setAutoRead(true);
    try {
      if (cumulation != null) processResponse();
    } catch (HttpParseException e) {
      fail(FailureKind.PROTOCOL_ERROR, e.getMessage());
      return;
    }
    DownstreamHandler now = down;
    if (now != null) now.flushResponse();
  }

  /** A response filter answered instead of the upstream: this connection's response is dropped with it. */
  private void replacedByFilter(DownstreamHandler d) {
    down = null;
    endActive();
    close();
    d.upstreamResponseReplaced();
  }

  private void writeResponseHead(DownstreamHandler d, @Nullable HeaderEdits edits) {
    int status = head.status();
    RequestHead req = d.request();
    boolean noBody = req.method().equals("HEAD") || status == 204 || status == 304;
    boolean client10 = req.isHttp10();
    int mode;
    if (noBody) {
      mode = IDLE;
    } else if (head.isChunked()) {
      mode = client10 ? BODY_CHUNKED_DECODE : BODY_CHUNKED;
      chunks.reset(Long.MAX_VALUE);
    } else if (head.contentLength() >= 0 && !head.isTransferEncodedUntilClose()) {
      mode = head.contentLength() == 0 ? IDLE : BODY_LENGTH;
      remaining = head.contentLength();
    } else {
      mode = BODY_UNTIL_CLOSE;
    }
    // Both Transfer-Encoding and Content-Length: TE wins, but the connection is not reused (RFC 9112 §6.3).
    reusable = head.upstreamKeepsAlive() && mode != BODY_UNTIL_CLOSE
        && !(head.isChunked() && head.contentLength() >= 0);
    FilterExchange filters = d.filtersInUse();
    if (!noBody && filters != null && filters.collectResponseBody(head.isChunked() ? -1 : head.contentLength())) {
      // A filter reads the body: the head waits until it is in (or over the limit).
      collectMode = head.isChunked() ? BODY_CHUNKED_DECODE : mode == IDLE ? BODY_LENGTH : mode;
      state = COLLECTING;
      if (mode == IDLE) collected(d);
      return;
    }
    boolean untilClose = mode == BODY_UNTIL_CLOSE || mode == BODY_CHUNKED_DECODE;
    boolean close = d.closeAfterResponse(untilClose);
    ByteBuf out = channel.alloc().ioBuffer(head.length() + 64);
    head.encodeForDownstream(out, mode == BODY_CHUNKED, close, client10 && !close, edits);
    d.writeResponse(out);
    if (mode == IDLE) {
      complete(d);
    } else {
      state = mode;
    }
  }

  private void collect(DownstreamHandler d, ByteBuf in) {
    int from = in.readerIndex();
    switch (collectMode) {
      case BODY_LENGTH -> {
        int n = (int) Math.min(remaining, in.readableBytes());
        // Never over the limit: a bigger Content-Length streams from the start.
        d.filtersInUse().appendResponseBody(in, from, n);
        in.readerIndex(from + n);
        remaining -= n;
        if (remaining == 0) collected(d);
      }
      case BODY_CHUNKED_DECODE -> {
        int end = chunks.scan(in, from, in.writerIndex(), collectSink);
        in.readerIndex(end);
        if (chunks.isDone()) {
          if (state == COLLECTING) {
            collected(d);
          } else if (down != null) {
            complete(down);
          }
        }
      }
      default -> {
        collectData(in, from, in.readableBytes());
        in.readerIndex(in.writerIndex());
      }
    }
  }

  /** A de-chunked or close-delimited piece of a body being collected; past the limit the response streams. */
  private void collectData(ByteBuf buf, int index, int length) {
    DownstreamHandler d = down;
    if (d == null || length == 0) return;
    if (state != COLLECTING) {
      forwardData(buf, index, length);
      return;
    }
    FilterExchange filters = d.filtersInUse();
    if (filters.appendResponseBody(buf, index, length)) return;
    // Over the limit: the head goes out as the filters left it, then what was read, then the rest
    // as it comes, de-chunked and close-delimited.
    boolean close = d.closeAfterResponse(true);
    ByteBuf out = channel.alloc().ioBuffer(head.length() + 64);
    head.encodeForDownstream(out, false, close, false, filters.responseEdits());
    d.writeResponse(out);
    ByteBuf sofar = filters.takeResponseBody();
    if (sofar != null) d.writeResponse(sofar);
    d.writeResponse(buf.retainedSlice(index, length));
    state = collectMode;
  }

  /** The collected body is complete: the filters' body phase, then the head with its Content-Length and the body. */
  private void collected(DownstreamHandler d) {
    FilterExchange filters = d.filtersInUse();
    if (filters.filterResponseBody()) {
      replacedByFilter(d);
      return;
    }
    ByteBuf body = filters.takeResponseBody();
    int length = body == null ? 0 : body.readableBytes();
    boolean client10 = d.request().isHttp10();
    boolean close = d.closeAfterResponse(false);
    ByteBuf out = channel.alloc().ioBuffer(head.length() + 96);
    head.encodeForDownstream(out, false, close, client10 && !close, filters.responseEditsWithLength(length));
    d.writeResponse(out);
    if (body != null) d.writeResponse(body);
    complete(d);
  }

  private void complete(DownstreamHandler d) {
    endActive();
    down = null;
    ByteBuf in = cumulation;
    boolean keep = reusable && requestSent && (in == null || !in.isReadable()) && channel.isActive();
    if (keep) {
      release();
    } else {
      close();
    }
    d.flushResponse();
    d.exchangeComplete();
  }

  /** Back to the loop's pool. */
  private void release() {
    state = IDLE;
    pausedForFilters = false;
    down = null;
    upstream = null;
    idleSince = System.nanoTime();
    if (pausedByDownstream) {
      pausedByDownstream = false;
      channel.config().setAutoRead(true);
    }
    loopContext.offerIdle(endpoint, this);
  }

  private void fail(FailureKind kind, String message) {
    DownstreamHandler d = down;
    down = null;
    endActive();
    close();
    if (d != null) d.upstreamFailed(kind, message);
  }

  /*
   * One timer per connection, re-armed only when it fires: a keep-alive connection serving many
   * requests schedules nothing per request, it only moves the deadline.
   */
  private void armResponseTimer(long timeoutNanos) {
    responseDeadline = System.nanoTime() + timeoutNanos;
    if (responseTimer == null) {
      responseTimer = channel.eventLoop().schedule(this::onResponseTimer, timeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void onResponseTimer() {
    responseTimer = null;
    long deadline = responseDeadline;
    if (deadline == 0 || state == CLOSED) return;
    long left = deadline - System.nanoTime();
    if (left > 0) {
      responseTimer = channel.eventLoop().schedule(this::onResponseTimer, left, TimeUnit.NANOSECONDS);
    } else if (state == HEAD && down != null) {
      fail(FailureKind.RESPONSE_TIMEOUT, "no response from " + endpoint.address() + " within "
          + io.sluice.api.codec.Durations.format(java.time.Duration.ofNanos(responseTimeoutNanos)));
    }
  }

  private void endActive() {
    if (active) {
      active = false;
      endpoint.requestEnded();
    }
  }
}
