package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.filter.LocalResponse;
import io.sluice.proxy.filter.internal.ExchangeHost;
import io.sluice.proxy.filter.internal.FilterChain;
import io.sluice.proxy.filter.internal.FilterExchange;
import io.sluice.proxy.http1.ChunkedParser;
import io.sluice.proxy.http1.HttpParseException;
import io.sluice.proxy.http1.RequestHead;
import io.sluice.proxy.http1.RequestHeadReader;
import io.sluice.proxy.upstream.Endpoint;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One client connection: reads requests, routes each, and streams it to an upstream connection on
 * the same event loop (or answers it directly); the response comes back through
 * {@link UpstreamConnection}, which writes to this connection.
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
 * <p>Back-pressure: while the upstream socket is not writable this connection stops reading, and
 * while this socket is not writable the upstream connection stops reading, so neither a slow
 * client nor a slow upstream makes the gateway hold more than a few buffers.
 *
 * <p>Threading: everything runs on the channel's event loop.
 */
final class DownstreamHandler extends ChannelInboundHandlerAdapter implements ExchangeHost {
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

  private final ListenerRuntime listener;
  private final RequestHeadReader reader = new RequestHeadReader();
  private final ChunkedParser requestChunks = new ChunkedParser(400);
  private final Observation obs = new Observation();
  private ChannelHandlerContext ctx;
  private Channel channel;
  private String clientIp = "";
  private @Nullable ByteBuf cumulation;
  private int state = HEAD;
  private long lastActivity;
  private long headStart;
  private @Nullable ScheduledFuture<?> timer;
  private boolean draining;
  private boolean readPaused;

  // The current exchange.
  private @Nullable RequestHead request;
  private @Nullable RuntimeRoute route;
  private long bodyRemaining;
  private @Nullable UpstreamConnection upstream;
  private boolean upstreamNeedsFlush;
  private boolean requestComplete;
  private boolean responseStarted;
  private boolean closeAfterResponse;
  private boolean continueSent;
  /** The listener's request buffer for the current request, in bytes (0: off). */
  private int requestBufferLimit;
  /** Chunked body bytes at the start of the receive buffer already checked while buffering. */
  private int prescanned;
  /** The whole body was in memory before the first attempt, so it can be sent again. */
  private boolean bodyBuffered;
  /** Breakers, endpoint picks, retries and the route's request timeout of the current exchange. */
  private final UpstreamAttempts attempts = new UpstreamAttempts(this);
  /** The filter runtime of this connection, created for the first request whose route has filters. */
  private @Nullable FilterExchange filters;
  /** The current exchange runs {@link #filters}. */
  private boolean filtered;
  private final ChunkedParser.DataSink bodySink = (buf, index, length) -> filters.appendBody(buf, index, length);

  DownstreamHandler(ListenerRuntime listener) {
    this.listener = listener;
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
    obs.closed();
    listener.connectionClosed(channel);
    state = CLOSED;
    if (timer != null) timer.cancel(false);
    UpstreamConnection up = upstream;
    if (up != null) {
      upstream = null;
      up.downstreamClosed();
    }
    attempts.cancel();
    endFilters();
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
    cumulate(in);
    if (state == AWAIT_RESPONSE || state == FILTERS) {
      // A pipelined request: keep it unread, but do not let a client pile up an unbounded backlog.
      if (cumulation.readableBytes() > PIPELINE_BACKLOG) pauseReading();
      return;
    }
    process();
  }

  /** Bytes of pipelined requests buffered while a response is in progress before reading pauses. */
  private static final int PIPELINE_BACKLOG = 64 * 1024;

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
    flushUpstream();
    ByteBuf c = cumulation;
    if (c != null && !c.isReadable()) {
      c.release();
      cumulation = null;
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    UpstreamConnection up = upstream;
    if (up != null && channel.isWritable()) {
      up.resumeReading();
    }
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
      UpstreamConnection up = upstream;
      if (up != null) {
        upstream = null;
        up.abort();
      }
      attempts.cancel();
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

  private void cumulate(ByteBuf in) {
    ByteBuf c = cumulation;
    if (c == null) {
      cumulation = in;
    } else if (c.refCnt() == 1 && c.writableBytes() >= in.readableBytes()) {
      c.writeBytes(in);
      in.release();
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
            obs.begin(c, h, headStart);
            headStart = 0;
            dispatch(h, c);
          }
          case BODY -> {
            UpstreamConnection up = upstream;
            if (up == null || !up.isReady() || in == null || !in.isReadable()) return;
            forwardBody(in, up);
            if (!requestComplete) return;
          }
          case PREBUFFER -> {
            if (in == null || !in.isReadable() || !prebufferBody(in)) return;
            startUpstream(request, route);
          }
          case BUFFER -> {
            if (in == null || !in.isReadable()) return;
            bufferBody(in);
            if (!requestComplete) return;
            state = FILTERS;
            filters.requestBodyBuffered();
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
    } catch (HttpParseException e) {
      badRequest(e);
    }
  }

  private void dispatch(RequestHead h, ListenerConfig c) {
    request = h;
    h.setClientIp(clientIp);
    requestComplete = !h.hasBody();
    responseStarted = false;
    continueSent = false;
    bodyBuffered = false;
    if (!requestComplete) {
      requestBufferLimit = c.requestBufferBytes;
      prescanned = 0;
    }
    closeAfterResponse = !h.keepAlive() || draining;
    bodyRemaining = h.contentLength() > 0 ? h.contentLength() : 0;
    if (h.isChunked()) requestChunks.reset(c.maxBodySize);
    if (h.contentLength() > c.maxBodySize) {
      closeAfterResponse = true;
      respondError(413, "request_body_too_large", "request body larger than " + c.maxBodySize + " bytes");
      return;
    }
    if (h.method().equals("CONNECT")) {
      closeAfterResponse = true;
      respondError(405, "method_not_allowed", "CONNECT is not supported");
      return;
    }
    RuntimeRoute route = h.path().equals("*") ? null : c.routes.match(h);
    obs.route(route);
    if (route == null) {
      respondError(404, "no_route", "no route matches the request");
      return;
    }
    FilterChain chain = route.filters();
    if (chain != null) {
      startFilters(chain, route, c);
      return;
    }
    proceed(h, route);
  }

  /** Sends the request where its route says: the direct response, or the upstream. */
  private void proceed(RequestHead h, RuntimeRoute route) {
    FilterExchange x = filtered ? filters : null;
    if (x != null && x.bodyLimit() != Long.MAX_VALUE) {
      long max = x.bodyLimit();
      if (h.contentLength() > max || x.bufferedBodyLength() > max) {
        closeAfterResponse = true;
        respondError(413, "request_body_too_large", "request body larger than " + max + " bytes");
        return;
      }
      if (h.isChunked()) requestChunks.limit(max);
    }
    DirectResponder direct = route.direct();
    if (direct != null) {
      if (h.expectsContinue() && h.hasBody()) closeAfterResponse = true;
      if (x != null && x.hasResponsePhase()) {
        LocalResponse local = direct.local(h);
        if (local != null) {
          x.respondDirect(local);
          return;
        }
      }
      responseStarted = true;
      ctx.write(obs.out(direct.encode(ctx.alloc(), h, closeAfterResponse)), ctx.voidPromise());
      endDirectExchange();
      return;
    }
    RouteTraffic traffic = route.traffic();
    // The colour is set before the split, so that the route's canary rules see it.
    if (traffic.colour() != null) h.setHeader(traffic.colour().lowerCaseName(), traffic.colour().value(), traffic.colour().line());
    this.route = route;
    if (requestComplete) {
      // No body, or one a filter already read (it goes out with the head).
      bodyBuffered = h.hasBody();
    } else if (requestBufferLimit > 0) {
      // Request buffering: the body comes in before an upstream connection is taken (process()
      // goes on in PREBUFFER). A client that waits for 100 Continue gets it now, from the gateway.
      state = PREBUFFER;
      if (h.expectsContinue() && !continueSent) {
        continueSent = true;
        ctx.writeAndFlush(Unpooled.wrappedBuffer(Responses.CONTINUE));
      }
      resumeReading();
      return;
    }
    startUpstream(h, route);
  }

  /** The route's split picks the upstream and the first attempt starts. */
  private void startUpstream(RequestHead h, RuntimeRoute route) {
    RouteTraffic traffic = route.traffic();
    UpstreamRuntime u = traffic.split().pick(h);
    attempts.begin(u, traffic, h, bodyBuffered);
    attempts.next();
  }

  /**
   * Checks the body received so far without consuming it; true when it is complete (then
   * {@link #bodyBuffered}) or fills the request buffer (then the rest streams).
   */
  private boolean prebufferBody(ByteBuf in) {
    int start = in.readerIndex();
    long buffered;
    if (request.isChunked()) {
      prescanned = requestChunks.scan(in, start + prescanned, in.writerIndex(), null) - start;
      buffered = prescanned;
      bodyBuffered = requestChunks.isDone();
    } else {
      buffered = Math.min(bodyRemaining, in.readableBytes());
      bodyBuffered = buffered == bodyRemaining;
    }
    return bodyBuffered || buffered >= requestBufferLimit;
  }

  /** An attempt (the first, or a retry) is about to go to {@code e} of {@code u}. */
  void attemptEndpoint(UpstreamRuntime u, Endpoint e) {
    obs.endpoint(u, e);
  }

  /** The exchange goes on with {@code up}: its first attempt, or a retry. */
  void attach(UpstreamConnection up) {
    state = requestComplete ? AWAIT_RESPONSE : BODY;
    upstream = up;
    obs.acquired(up.isReady());
    if (!up.isReady()) {
      // Connecting: the body waits in the socket until the request can be written.
      if (!requestComplete) pauseReading();
    } else {
      upstreamReady();
    }
  }

  /** A retry waits out its backoff: no upstream connection meanwhile, and the rest of the body waits in the socket. */
  void awaitRetry() {
    upstream = null;
    if (!requestComplete) pauseReading();
  }

  /** The exchange ends with the gateway's error before an attempt could start (or the next one, for a retry). */
  void failExchange(FailureKind kind, String message) {
    upstream = null;
    if (state == CLOSED) return;
    if (responseStarted) {
      channel.close();
      return;
    }
    // After an attempt the upstream may have seen part of the request: start afresh on a new connection.
    if (state != HEAD) closeAfterResponse = true;
    respondError(kind.status(), kind.reason(), message);
  }

  /** The route's request timeout passed before a response head: the attempt in progress is abandoned. */
  void requestTimedOut(FailureKind kind, String message) {
    UpstreamConnection up = upstream;
    if (up != null) {
      upstream = null;
      up.abort();
    }
    failExchange(kind, message);
  }

  boolean responseStarted() {
    return responseStarted;
  }

  /** The response timeout of the current attempt at {@code u} (the route may replace the upstream's). */
  long responseTimeoutNanos(UpstreamRuntime u) {
    return attempts.responseTimeoutNanos(u);
  }

  /**
   * The current attempt's response head arrived with {@code status}: true when the response is to
   * be dropped (with its connection) because the request is retried.
   */
  boolean retryOnResponse(int status) {
    return attempts.responded(status);
  }

  /** The current request's head as the upstream gets it (with a buffered body, if any); the caller owns the buffer. */
  ByteBuf encodeUpstreamHead() {
    RequestHead h = request;
    RuntimeRoute r = route;
    String path = r.stripPrefix() == null ? null : r.rewritePath(h.path());
    ByteBuf head;
    if (filtered) {
      head = filters.encodeUpstreamRequest(ctx.alloc(), path);
    } else {
      head = ctx.alloc().ioBuffer(h.length() + 256);
      h.encodeForUpstream(head, path, r.hostRewrite(), "http");
    }
    return obs.attemptStarted(head, ctx.alloc());
  }

  // ---- filters (ExchangeHost): called by the FilterExchange, on this loop ----

  private void startFilters(FilterChain chain, RuntimeRoute route, ListenerConfig c) {
    FilterExchange x = filters;
    if (x == null) {
      x = new FilterExchange(this, ctx);
      filters = x;
    }
    this.route = route;
    filtered = true;
    state = FILTERS;
    x.start(chain, request, route.name(), c.name, route.hostRewrite(), c.filterTimeout);
  }

  /** The filter runtime of the current exchange, or null when its route has no filters. */
  @Nullable FilterExchange filtersInUse() {
    return filtered ? filters : null;
  }

  private void endFilters() {
    if (filtered) {
      filtered = false;
      filters.end();
    }
  }

  @Override
  public void requestPhaseDone() {
    proceed(request, route);
  }

  @Override
  public void bufferRequestBody() {
    RequestHead h = request;
    if (h.expectsContinue() && !responseStarted) ctx.writeAndFlush(Unpooled.wrappedBuffer(Responses.CONTINUE));
    state = BUFFER;
    resumeReading();
  }

  private void bufferBody(ByteBuf in) {
    int from = in.readerIndex();
    int to = in.writerIndex();
    if (request.isChunked()) {
      in.readerIndex(requestChunks.scan(in, from, to, bodySink));
      requestComplete = requestChunks.isDone();
    } else {
      int n = (int) Math.min(bodyRemaining, to - from);
      filters.appendBody(in, from, n);
      in.readerIndex(from + n);
      bodyRemaining -= n;
      requestComplete = bodyRemaining == 0;
    }
  }

  @Override
  public boolean startLocalResponse(boolean close) {
    RequestHead h = request;
    if (close || draining || (h != null && h.expectsContinue() && !requestComplete)) closeAfterResponse = true;
    responseStarted = true;
    return closeAfterResponse;
  }

  @Override
  public void writeLocalResponse(ByteBuf response) {
    ctx.write(response, ctx.voidPromise());
    resumeReading();
    endDirectExchange();
  }

  @Override
  public void filterFailed(String filter, Throwable error) {
    listener.unexpectedErrors().record(UnexpectedErrors.Where.FILTER, "filter " + filter, error);
  }

  @Override
  public void resumed() {
    if (state == CLOSED) return;
    process();
    flushUpstream();
  }

  /** A response filter replaced the upstream's response; the upstream connection is already closed. */
  void upstreamResponseReplaced() {
    upstream = null;
    if (state == CLOSED) return;
    filters.writeReplacement();
  }

  /** Called when the upstream connection has the request head and can take the body. */
  void upstreamReady() {
    obs.connected();
    RequestHead h = request;
    if (h != null && h.expectsContinue() && !requestComplete && !responseStarted && !continueSent) {
      continueSent = true;
      ctx.writeAndFlush(Unpooled.wrappedBuffer(Responses.CONTINUE));
    }
    if (state == BODY) {
      resumeReading();
      process();
      flushUpstream();
    }
  }

  private void forwardBody(ByteBuf in, UpstreamConnection up) {
    int from = in.readerIndex();
    int to = in.writerIndex();
    int end;
    if (request.isChunked()) {
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
      up.write(in.retainedSlice(from, end - from));
      attempts.bodyForwarded(in, from, end - from);
      obs.bytesIn(end - from);
      in.readerIndex(end);
      upstreamNeedsFlush = true;
    }
    if (requestComplete) {
      state = AWAIT_RESPONSE;
      flushUpstream();
      attempts.requestReceived();
      up.requestSent();
    } else if (!up.isWritable()) {
      pauseReading();
    }
  }

  private void discardBody(ByteBuf in) {
    int from = in.readerIndex();
    int to = in.writerIndex();
    if (request.isChunked()) {
      in.readerIndex(requestChunks.scan(in, from, to, null));
      requestComplete = requestChunks.isDone();
    } else {
      int n = (int) Math.min(bodyRemaining, to - from);
      in.skipBytes(n);
      bodyRemaining -= n;
      requestComplete = bodyRemaining == 0;
    }
    obs.bytesIn(in.readerIndex() - from);
  }

  /** Resumes reading the request body once the upstream socket has drained. */
  void upstreamWritable() {
    if (state == BODY) {
      resumeReading();
    }
  }

  private void flushUpstream() {
    if (upstreamNeedsFlush) {
      upstreamNeedsFlush = false;
      UpstreamConnection up = upstream;
      if (up != null) up.flush();
    }
  }

  // ---- called by UpstreamConnection, on this loop ----

  ChannelHandlerContext context() {
    return ctx;
  }

  RequestHead request() {
    return request;
  }

  boolean requestComplete() {
    return requestComplete;
  }

  /** The current request has no body, or all of it was in memory before the first attempt. */
  boolean bodyReplayable() {
    return bodyBuffered || !request.hasBody();
  }

  /**
   * Decides, as the response head goes out, whether the connection closes after it: it does when
   * the client or the gateway asked for it, or when the request body is not all read yet (the
   * remainder can't be told apart from a next request without reading it).
   */
  boolean closeAfterResponse(boolean bodyUntilClose) {
    responseStarted = true;
    if (!requestComplete || bodyUntilClose || draining) closeAfterResponse = true;
    return closeAfterResponse;
  }

  void writeResponse(ByteBuf buf) {
    ctx.write(obs.out(buf), ctx.voidPromise());
  }

  void flushResponse() {
    ctx.flush();
  }

  boolean isWritable() {
    return channel.isWritable();
  }

  /** The exchange ended with a complete response; the upstream connection has been released. */
  void exchangeComplete() {
    attempts.complete();
    obs.end();
    upstream = null;
    endFilters();
    request = null;
    route = null;
    if (closeAfterResponse || state == CLOSED) {
      closeAfterFlush();
      return;
    }
    state = HEAD;
    lastActivity = System.nanoTime();
    resumeReading();
    if (cumulation != null && cumulation.isReadable()) process();
  }

  /**
   * The upstream failed. Before any response byte went out the client gets the gateway's error;
   * after, the response cannot be completed and the connection is closed.
   */
  void upstreamFailed(FailureKind kind, String message) {
    upstreamFailed(kind, message, false);
  }

  /**
   * @param staleReuse a reused connection lost the keep-alive race and the request can go again
   *     (see {@link UpstreamConnection}): the attempt goes on on a new connection if it can
   *     ({@link UpstreamAttempts#reconnect}), and only otherwise is this a failure
   */
  void upstreamFailed(FailureKind kind, String message, boolean staleReuse) {
    upstream = null;
    // The new connection's attempt ends this one in the metrics, and the exchange has no failure.
    if (staleReuse && state != CLOSED && attempts.reconnect()) return;
    obs.upstreamFailed(kind);
    if (state == CLOSED) return;
    // A retry goes on with another attempt; otherwise the failure is the client's answer.
    if (attempts.failed(kind)) return;
    attempts.complete();
    if (responseStarted) {
      channel.close();
      return;
    }
    closeAfterResponse = true;
    respondError(kind.status(), kind.reason(), message);
  }

  /** Where this connection's unexpected exceptions (and its filters' failures) are logged and counted. */
  UnexpectedErrors unexpectedErrors() {
    return listener.unexpectedErrors();
  }

  private void endDirectExchange() {
    obs.end();
    endFilters();
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

  private void respondError(int status, String reason, String message) {
    RequestHead h = request;
    if (h != null && h.expectsContinue() && !requestComplete) closeAfterResponse = true;
    responseStarted = true;
    boolean head = h != null && h.method().equals("HEAD");
    obs.reason(reason);
    ctx.write(obs.out(Responses.error(ctx.alloc(), status, reason, message, closeAfterResponse, head)), ctx.voidPromise());
    resumeReading();
    endDirectExchange();
  }

  private void badRequest(HttpParseException e) {
    if (state == CLOSED) return;
    // In HEAD the previous exchange is over: its responseStarted says nothing about this request.
    if (responseStarted && state != HEAD) {
      channel.close();
      return;
    }
    UpstreamConnection up = upstream;
    if (up != null) {
      upstream = null;
      up.abort();
    }
    attempts.cancel();
    state = CLOSED;
    endFilters();
    releaseCumulation();
    reader.reset();
    String reason = switch (e.status()) {
      case 413 -> "request_body_too_large";
      case 414 -> "uri_too_long";
      case 417 -> "expectation_failed";
      case 431 -> "request_header_too_large";
      case 501 -> "not_implemented";
      case 505 -> "http_version_not_supported";
      default -> "bad_request";
    };
    ctx.writeAndFlush(obs.rejected(listener.config(), clientIp, reason, Responses.error(ctx.alloc(), e.status(), reason, e.getMessage(), true, false)))
        .addListener(ChannelFutureListener.CLOSE);
  }

  private void closeAfterFlush() {
    state = CLOSED;
    pauseReading();
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
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
          UpstreamConnection up = upstream;
          if (up != null) up.abort();
          upstreamFailed(FailureKind.CLIENT_BODY_TIMEOUT, "request body not received within the idle timeout");
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
    ctx.writeAndFlush(obs.rejected(listener.config(), clientIp, "request_header_timeout", Responses.error(ctx.alloc(), 408, "request_header_timeout",
            "request head not received in time", true, false)))
        .addListener(ChannelFutureListener.CLOSE);
  }
}
