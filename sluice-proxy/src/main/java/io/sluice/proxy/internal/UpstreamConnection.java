package io.sluice.proxy.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.unix.Errors;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.proxy.http1.ChunkedParser;
import io.sluice.proxy.http1.HttpParseException;
import io.sluice.proxy.http1.RequestEncoder;
import io.sluice.proxy.http1.ResponseHead;
import io.sluice.proxy.message.UpstreamRequest;
import io.sluice.proxy.tls.internal.ClientTls;
import io.sluice.proxy.upstream.Endpoint;
import java.io.IOException;
import java.net.SocketException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP/1.1 connection to an upstream endpoint, opened on the event loop of the client
 * connection that first needed it, and pooled on that loop between exchanges: the HTTP/1.1
 * {@link UpstreamStream}. It knows nothing of the exchange it serves beyond {@link UpstreamStream.Events}.
 *
 * <p>While bound to an exchange it writes the request, reads the response head, asks the exchange
 * how to deliver the body ({@link UpstreamStream.Events#onResponseHead}), and streams it: verbatim
 * ({@link UpstreamStream#BODY_FRAMED}: chunked stays chunked) or as content only. It goes back to
 * its loop's pool only when both the request and the response were complete and the upstream
 * allows keep-alive; otherwise it is closed.
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
 * This connection only tells the race from other failures ({@code staleReuse} in
 * {@link UpstreamStream.Events#onFailure}); going again is {@link UpstreamAttempts}' decision, like
 * any other attempt's.
 *
 * <p>Threading: everything runs on the connection's event loop.
 */
final class UpstreamConnection extends ChannelInboundHandlerAdapter implements UpstreamStream {
  private static final int IDLE = 0;
  private static final int HEAD = 1;
  private static final int BODY_LENGTH = 2;
  private static final int BODY_CHUNKED = 3;
  private static final int BODY_CHUNKED_DECODE = 4;
  private static final int BODY_UNTIL_CLOSE = 5;
  private static final int CLOSED = 6;
  /** The response head is read; the exchange answered {@link UpstreamStream#WAIT}: the body waits in the socket. */
  private static final int WAITING = 7;
  /** The upstream switched protocols (101): the connection is a WebSocket tunnel's, never pooled again. */
  private static final int SWITCHED = 8;
  private static final int MAX_RESPONSE_HEAD = 64 * 1024;

  private final LoopContext loopContext;
  private final Endpoint endpoint;
  private final UnexpectedErrors unexpected;
  private final ResponseHead head = new ResponseHead();
  private final ChunkedParser chunks = new ChunkedParser(502);
  private final ChunkedParser.DataSink decodeSink = this::forwardData;
  @SuppressWarnings("NullAway.Init") // set by open() right after construction
  private Channel channel;
  private boolean ready;
  private int state = IDLE;
  private @Nullable ByteBuf cumulation;
  private long idleSince;
  private long idleTimeoutNanos;
  private boolean pausedByDownstream;
  private boolean pausedForExchange;

  // The current exchange.
  private UpstreamStream.@Nullable Events events;
  private @Nullable ByteBuf pendingHead;
  /** The request is a HEAD: its response has no body, whatever its head says. */
  private boolean headRequest;
  /** The connection came from the pool (it served an exchange before this one). */
  private boolean reused;
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
  /** The current request is a WebSocket handshake: a 101 hands the connection to the exchange. */
  private boolean upgrade;

  private UpstreamConnection(LoopContext loopContext, Endpoint endpoint, UnexpectedErrors unexpected) {
    this.loopContext = loopContext;
    this.endpoint = endpoint;
    this.unexpected = unexpected;
  }

  /** {@code request}'s head as this codec sends it (HTTP/1.1); the caller owns the buffer. */
  static ByteBuf encodeHead(ByteBufAllocator alloc, UpstreamRequest request) {
    return RequestEncoder.encode(alloc, request);
  }

  /**
   * Binds a pooled connection to {@code endpoint} for the request whose head is {@code requestHead},
   * or opens a new one on {@code loop}. Takes ownership of {@code requestHead}, except when null is
   * returned: then the endpoint's connection limit is reached and nothing was done.
   */
  static @Nullable UpstreamConnection acquire(UpstreamStream.Events events, EventLoop loop, UpstreamRuntime upstream,
      Endpoint endpoint, ByteBuf requestHead, String method, boolean requestComplete, boolean replayable,
      long responseTimeoutNanos, UnexpectedErrors unexpected) {
    LoopContext lc = LoopThread.current().context();
    long now = System.nanoTime();
    UpstreamConnection c = isIdempotent(method)
        ? lc.pollIdle(endpoint, upstream.idleTimeoutNanos, now)
        : lc.pollSafe(endpoint, now);
    if (c != null) {
      c.bind(events, upstream, method, requestComplete, replayable, true, responseTimeoutNanos);
      // Not notified: the caller sees isReady() and goes on itself (notifying it here too sent a
      // second 100 Continue to a client that expects one).
      c.writeHead(requestHead, false);
      return c;
    }
    return open(events, loop, upstream, endpoint, requestHead, method, requestComplete, replayable, responseTimeoutNanos,
        unexpected);
  }

  /**
   * Opens a new connection to {@code endpoint} for the request whose head is {@code requestHead}
   * (never a pooled one). Takes ownership of {@code requestHead}, except when null is returned: then
   * the endpoint's connection limit is reached and nothing was done.
   */
  static @Nullable UpstreamConnection open(UpstreamStream.Events events, EventLoop loop, UpstreamRuntime upstream,
      Endpoint endpoint, ByteBuf requestHead, String method, boolean requestComplete, boolean replayable,
      long responseTimeoutNanos, UnexpectedErrors unexpected) {
    if (!endpoint.tryOpenConnection(upstream.maxConnectionsPerEndpoint)) {
      return null;
    }
    UpstreamConnection c = new UpstreamConnection(LoopThread.current().context(), endpoint, unexpected);
    ClientTls tls = upstream.tls;
    c.bind(events, upstream, method, requestComplete, replayable, false, responseTimeoutNanos);
    c.pendingHead = requestHead;
    ChannelFuture f = new Bootstrap()
        .group(loop)
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

  private void bind(UpstreamStream.Events ev, UpstreamRuntime u, String method, boolean requestComplete,
      boolean replayable, boolean reused, long responseTimeoutNanos) {
    this.events = ev;
    this.idleTimeoutNanos = u.idleTimeoutNanos;
    this.responseTimeoutNanos = responseTimeoutNanos;
    this.headRequest = method.equals("HEAD");
    this.reused = reused;
    this.state = HEAD;
    this.requestSent = requestComplete;
    this.responseBytesSeen = false;
    this.active = true;
    endpoint.requestStarted();
    this.refused = false;
    this.upgrade = false;
    boolean replay = reused && replayable;
    this.retryIfRefused = replay;
    this.retryIfClosed = replay && isIdempotent(method);
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
    UpstreamStream.Events ev = events;
    if (!f.isSuccess()) {
      if (h != null) h.release();
      state = CLOSED;
      endActive();
      if (handshake) channel.close();
      if (ev != null) {
        events = null;
        Throwable cause = f.cause();
        FailureKind kind = handshake
            ? (ClientTls.isCertificateProblem(cause) ? FailureKind.CERT_INVALID : FailureKind.TLS_HANDSHAKE)
            : cause instanceof ConnectTimeoutException ? FailureKind.CONNECT_TIMEOUT : FailureKind.CONNECT_FAILURE;
        String what = handshake ? "TLS handshake with " + endpoint.address() + " failed" : "cannot connect to " + endpoint.address();
        ev.onFailure(kind, what + ": " + cause.getMessage(), false);
      }
      return;
    }
    if (ev == null || h == null || state == CLOSED) {
      // The exchange was aborted while we were connecting.
      if (h != null) h.release();
      close();
      return;
    }
    writeHead(h, true);
  }

  private void writeHead(ByteBuf h, boolean notifyExchange) {
    ready = true;
    channel.writeAndFlush(h, channel.voidPromise());
    if (requestSent) armResponseTimer(responseTimeoutNanos);
    UpstreamStream.Events ev = events;
    if (notifyExchange && ev != null) ev.onReady();
  }

  @Override
  public boolean isReady() {
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

  @Override
  public boolean isWritable() {
    return channel.isWritable();
  }

  @Override
  public void write(ByteBuf body) {
    channel.write(body, channel.voidPromise());
  }

  @Override
  public void flush() {
    channel.flush();
  }

  @Override
  public void requestSent() {
    requestSent = true;
    // Like Envoy's route timeout, the wait for the response starts once the request is all sent,
    // so a long upload is not cut off by the response timeout.
    if (state == HEAD && events != null) armResponseTimer(responseTimeoutNanos);
  }

  @Override
  public void resumeReading() {
    if (pausedByDownstream) {
      pausedByDownstream = false;
      if (!pausedForExchange) channel.config().setAutoRead(true);
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

  @Override
  public void abort() {
    events = null;
    endActive();
    close();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    if (events == null || state == IDLE || state == CLOSED) {
      // Bytes nobody asked for: the connection's framing can no longer be trusted.
      in.release();
      close();
      return;
    }
    responseBytesSeen = true;
    ByteBuf c = cumulation;
    ByteBuf all;
    if (c == null) {
      all = in;
    } else {
      all = ctx.alloc().ioBuffer(c.readableBytes() + in.readableBytes());
      all.writeBytes(c).writeBytes(in);
      c.release();
      in.release();
    }
    cumulation = all;
    try {
      processResponse(all);
    } catch (HttpParseException e) {
      fail(FailureKind.PROTOCOL_ERROR, e.getMessage());
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    UpstreamStream.Events ev = events;
    if (ev != null) ev.onResponseFlush();
    ByteBuf c = cumulation;
    if (c != null && !c.isReadable()) {
      cumulation = null;
      c.release();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    UpstreamStream.Events ev = events;
    if (ev != null && channel.isWritable()) ev.onWritable();
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
    if (state == HEAD && retryIfRefused && !retryIfClosed && !responseBytesSeen && events != null) {
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
    UpstreamStream.Events ev = events;
    if (ev == null) {
      if (was == IDLE) loopContext.removeIdle(endpoint, this);
      return;
    }
    events = null;
    endActive();
    if (was == BODY_UNTIL_CLOSE) {
      ev.onResponseEnd();
      return;
    }
    // The keep-alive race lost (see class doc): the attempts decide whether the request goes again.
    boolean stale = was == HEAD && !responseBytesSeen && (retryIfClosed || (retryIfRefused && refused));
    String alert = tlsRefusal;
    if (alert != null && was == HEAD) {
      ev.onFailure(FailureKind.TLS_HANDSHAKE, "upstream " + endpoint.address() + " refused the TLS session: " + alert, false);
      return;
    }
    ev.onFailure(FailureKind.RESET, "upstream " + endpoint.address() + " closed the connection"
        + (was == HEAD ? " before responding" : " during the response"), stale);
  }

  private void processResponse(ByteBuf in) {
    UpstreamStream.Events ev = events;
    while (ev != null && in.isReadable()) {
      switch (state) {
        case HEAD -> {
          if (!head.read(in, MAX_RESPONSE_HEAD)) return;
          if (head.status() < 200) {
            if (head.status() == 101) {
              if (!upgrade) throw new HttpParseException(502, "unexpected 101 Switching Protocols");
              switchProtocols(ev, in);
              return;
            }
            continue; // interim responses are the gateway's to handle, not the client's
          }
          onResponseHead(ev);
        }
        case BODY_LENGTH -> {
          int from = in.readerIndex();
          int n = (int) Math.min(remaining, in.readableBytes());
          ev.onResponseData(in.retainedSlice(from, n));
          in.readerIndex(from + n);
          remaining -= n;
          if (remaining == 0) complete();
        }
        case BODY_CHUNKED -> {
          int from = in.readerIndex();
          int end = chunks.scan(in, from, in.writerIndex(), null);
          if (end > from) ev.onResponseData(in.retainedSlice(from, end - from));
          in.readerIndex(end);
          if (chunks.isDone()) complete();
        }
        case BODY_CHUNKED_DECODE -> {
          int end = chunks.scan(in, in.readerIndex(), in.writerIndex(), decodeSink);
          in.readerIndex(end);
          if (chunks.isDone() && events != null) complete();
        }
        case BODY_UNTIL_CLOSE -> {
          ev.onResponseData(in.retainedSlice());
          in.readerIndex(in.writerIndex());
        }
        default -> {
          return;
        }
      }
      ev = events;
      if (ev != null && !ev.clientWritable() && !pausedByDownstream) {
        // Writability counts unflushed bytes too: a 64 KiB body queued for the client is over the
        // high water mark until the flush at the end of this read. Flush it now, and pause only if
        // the client socket did not take it: a pause resumed a moment later costs two epoll_ctl.
        ev.onResponseFlush();
        ev = events;
        if (ev != null && !ev.clientWritable()) {
          pausedByDownstream = true;
          channel.config().setAutoRead(false);
        }
      }
    }
  }

  /** The request being sent is a WebSocket handshake: a 101 answer is handed over, not refused. */
  void expectUpgrade() {
    upgrade = true;
  }

  /**
   * The upstream accepted the upgrade: the connection leaves HTTP (and its pool) for good; its
   * bytes past the 101 and the 101 itself go to the exchange with the connection.
   */
  private void switchProtocols(UpstreamStream.Events ev, ByteBuf in) {
    state = SWITCHED;
    events = null;
    responseDeadline = 0;
    endActive();
    cumulation = null;
    if (pausedByDownstream) {
      pausedByDownstream = false;
      channel.config().setAutoRead(true);
    }
    ByteBuf out = channel.alloc().ioBuffer(head.length() + 64);
    head.encodeForDownstream(out, false, false, false);
    ev.onSwitchingProtocols(new io.sluice.proxy.websocket.TunnelSide(channel.pipeline().context(this), in),
        head.header("upgrade"), head.header("sec-websocket-accept"), out);
  }

  private void forwardData(ByteBuf buf, int index, int length) {
    UpstreamStream.Events ev = events;
    if (ev != null && length > 0) ev.onResponseData(buf.retainedSlice(index, length));
  }

  private void onResponseHead(UpstreamStream.Events ev) {
    responseDeadline = 0;
    retryIfClosed = false;
    retryIfRefused = false;
    int answer = ev.onResponseHead(head);
    // The exchange may have let go of this stream meanwhile (abort): nothing more to do then.
    if (events == null) return;
    switch (answer) {
      case DROP -> drop();
      case WAIT -> {
        // Nothing of the response moves until the exchange says how; the body waits in the socket.
        state = WAITING;
        pausedForExchange = true;
        channel.config().setAutoRead(false);
      }
      default -> startBody(answer);
    }
  }

  @Override
  public void proceed(int mode) {
    if (state != WAITING || events == null) return;
    pausedForExchange = false;
    if (mode == DROP) {
      drop();
      return;
    }
    startBody(mode);
    if (events == null) return;
    if (!pausedByDownstream) channel.config().setAutoRead(true);
    try {
      ByteBuf in = cumulation;
      if (in != null) processResponse(in);
    } catch (HttpParseException e) {
      fail(FailureKind.PROTOCOL_ERROR, e.getMessage());
      return;
    }
    UpstreamStream.Events now = events;
    if (now != null) now.onResponseFlush();
  }

  /** The response is not wanted: it is dropped unread, with its connection. */
  private void drop() {
    events = null;
    endActive();
    close();
  }

  /** Reads the body of the response whose head was read, delivered as {@code mode} says. */
  private void startBody(int mode) {
    int status = head.status();
    int next;
    if (headRequest || status == 204 || status == 304) {
      next = IDLE;
    } else if (head.isChunked()) {
      next = mode == BODY_FRAMED ? BODY_CHUNKED : BODY_CHUNKED_DECODE;
      chunks.reset(Long.MAX_VALUE);
    } else if (head.contentLength() >= 0 && !head.isTransferEncodedUntilClose()) {
      next = head.contentLength() == 0 ? IDLE : BODY_LENGTH;
      remaining = head.contentLength();
    } else {
      next = BODY_UNTIL_CLOSE;
    }
    // Both Transfer-Encoding and Content-Length: TE wins, but the connection is not reused (RFC 9112 §6.3).
    reusable = head.upstreamKeepsAlive() && next != BODY_UNTIL_CLOSE
        && !(head.isChunked() && head.contentLength() >= 0);
    if (next == IDLE) {
      complete();
    } else {
      state = next;
    }
  }

  private void complete() {
    UpstreamStream.Events ev = events;
    endActive();
    events = null;
    ByteBuf in = cumulation;
    boolean keep = reusable && requestSent && (in == null || !in.isReadable()) && channel.isActive();
    if (keep) {
      release();
    } else {
      close();
    }
    if (ev != null) ev.onResponseEnd();
  }

  /** Back to the loop's pool. */
  private void release() {
    state = IDLE;
    pausedForExchange = false;
    events = null;
    idleSince = System.nanoTime();
    if (pausedByDownstream) {
      pausedByDownstream = false;
      channel.config().setAutoRead(true);
    }
    loopContext.offerIdle(endpoint, this);
  }

  private void fail(FailureKind kind, String message) {
    UpstreamStream.Events ev = events;
    events = null;
    endActive();
    close();
    if (ev != null) ev.onFailure(kind, message, false);
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
    } else if (state == HEAD && events != null) {
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
