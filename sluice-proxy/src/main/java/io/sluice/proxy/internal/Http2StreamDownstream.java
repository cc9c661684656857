package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.filter.ClientCertificate;
import io.sluice.filter.LocalResponse;
import io.sluice.proxy.http2.Http2RequestHead;
import io.sluice.proxy.http2.Http2ResponseHeads;
import io.sluice.proxy.message.HeaderEdits;
import io.sluice.proxy.message.RequestMessage;
import io.sluice.proxy.message.RequestRejectedException;
import io.sluice.proxy.message.ResponseMessage;
import io.sluice.proxy.tls.internal.ClientIdentity;
import io.sluice.proxy.websocket.TunnelSide;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP/2 stream of a client connection, as the {@link Downstream} of the {@link ProxyExchange}
 * that runs its request: the handler of the stream's child channel ({@code Http2MultiplexHandler}),
 * framing only, as {@link DownstreamHandler} is for an HTTP/1.1 connection. The request head is the
 * stream's HEADERS ({@link Http2RequestHead}); its body, the DATA frames, reaches the exchange as
 * received when Content-Length gave its length, else as HTTP/1.1 chunks (the framing the upstream
 * request head announces); trailers end it. Response heads are written as HEADERS
 * ({@link Http2ResponseHeads}), the body as DATA, the end as END_STREAM.
 *
 * <p>Flow control is back-pressure: while the upstream does not take the body, this stream's
 * channel stops reading, so its DATA frames stay queued and its window is not given back, and the
 * client stops sending on this stream only; while the client's window for this stream is closed
 * (the child channel is not writable) the upstream stops reading. Neither touches the connection
 * or other streams.
 *
 * <p>Timeouts: the listener's idle timeout bounds a stream whose body stops arriving (the exchange
 * ends with {@code client_body_timeout}) and a response the client stops taking (a window it
 * never opens: the stream is reset). One timer per stream.
 *
 * <p>Threading: the connection's event loop (child channels share their parent's).
 */
final class Http2StreamDownstream extends ChannelInboundHandlerAdapter implements Downstream {
  private static final int HEAD = 0;
  private static final int FILTERS = 1;
  private static final int BUFFER = 2;
  private static final int PREBUFFER = 3;
  private static final int BODY = 4;
  private static final int AWAIT_RESPONSE = 5;
  /** The exchange ended; the stream closes when both sides have ended it. */
  private static final int DONE = 6;
  private static final int CLOSED = 7;
  private static final ByteBuf LAST_CHUNK = Unpooled.unreleasableBuffer(
      Unpooled.wrappedBuffer("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)).asReadOnly());
  private static final ByteBuf CRLF = Unpooled.unreleasableBuffer(
      Unpooled.wrappedBuffer("\r\n".getBytes(StandardCharsets.ISO_8859_1)).asReadOnly());

  private final ListenerRuntime listener;
  private final Http2Connection connection;
  private final ProxyExchange exchange;
  @SuppressWarnings("NullAway.Init") // set in handlerAdded, the first event a handler gets
  private ChannelHandlerContext ctx;
  @SuppressWarnings("NullAway.Init")
  private Channel channel;
  private int state = HEAD;
  private @Nullable Http2RequestHead request;
  /** Body bytes received and not yet passed on. */
  private @Nullable ByteBuf cumulation;
  /** The client ended its side of the stream (END_STREAM on HEADERS, DATA or trailers). */
  private boolean endStream;
  /** The whole request body has been passed on (or there is none). */
  private boolean requestComplete;
  /** The body goes upstream as HTTP/1.1 chunks (its length is known only at its end). */
  private boolean chunked;
  private long bodyReceived;
  private long maxBody = Long.MAX_VALUE;
  private int requestBufferLimit;
  private boolean responseStarted;
  private boolean endSent;
  private boolean readPaused;
  private long lastActivity;
  /** When the client last took response bytes (its window open), for the zero-window guard. */
  private long lastWritable;
  private @Nullable ScheduledFuture<?> timer;
  /** The write of the response's last frame, kept while the request is still arriving (see {@link #finish}). */
  private @Nullable ChannelFuture endWrite;
  /** The request's trailers as the last chunk of its chunked body, until it goes upstream. */
  private @Nullable ByteBuf lastChunk;

  Http2StreamDownstream(ListenerRuntime listener, Http2Connection connection) {
    this.listener = listener;
    this.connection = connection;
    this.exchange = new ProxyExchange(this, listener);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.channel = ctx.channel();
    lastActivity = lastWritable = System.nanoTime();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    state = CLOSED;
    if (timer != null) timer.cancel(false);
    exchange.connectionClosed();
    releaseCumulation();
    releaseLastChunk();
    connection.streamEnded();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (state == CLOSED) {
      ReferenceCountUtil.release(msg);
      return;
    }
    lastActivity = System.nanoTime();
    try {
      if (msg instanceof Http2HeadersFrame h) {
        if (request == null) {
          head(h.headers(), h.isEndStream());
        } else {
          // Trailers end the body; a chunked body carries them upstream in its last chunk.
          endStream = true;
          if (chunked) lastChunk = io.sluice.proxy.http2.Http2Trailers.lastChunk(ctx.alloc(), h.headers());
          process();
        }
      } else if (msg instanceof Http2DataFrame d) {
        data(d);
      } else {
        ReferenceCountUtil.release(msg);
      }
    } catch (RequestRejectedException e) {
      rejected(e);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    exchange.flushUpstream();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (channel.isWritable()) {
      lastWritable = System.nanoTime();
      exchange.clientWritableAgain();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof IOException)) listener.unexpectedErrors().record(UnexpectedErrors.Where.DOWNSTREAM, cause);
    channel.close();
  }

  private void head(Http2Headers headers, boolean end) {
    ListenerConfig c = listener.config();
    if (c == null) {
      channel.close();
      return;
    }
    long start = System.nanoTime();
    ClientIdentity id = connection.identity();
    Http2RequestHead h = new Http2RequestHead(headers, end, id.scheme(), connection.clientIp(), id.forwardedLine());
    request = h;
    endStream = end;
    requestComplete = !h.hasBody();
    chunked = h.bodyChunked();
    maxBody = c.maxBodySize;
    requestBufferLimit = c.requestBufferBytes;
    if (h.contentLength() > c.maxBodySize) maxBody = Long.MAX_VALUE; // the exchange answers 413 from the head
    exchange.observeHead(c, h, start);
    if (!requestComplete) scheduleTimer(c.idleTimeoutNanos);
    exchange.start(h, c);
    process();
  }

  private void data(Http2DataFrame d) {
    ByteBuf content = d.content();
    if (d.isEndStream()) endStream = true;
    int n = content.readableBytes();
    if (state >= DONE || n == 0) {
      d.release();
      if (state < DONE) process();
      return;
    }
    bodyReceived += n;
    if (bodyReceived > maxBody) {
      d.release();
      throw new RequestRejectedException(413, "request body larger than " + maxBody + " bytes");
    }
    ByteBuf c = cumulation;
    if (c == null) {
      cumulation = content;
    } else {
      ByteBuf merged = ctx.alloc().ioBuffer(c.readableBytes() + n);
      merged.writeBytes(c).writeBytes(content);
      c.release();
      content.release();
      cumulation = merged;
    }
    process();
  }

  /** Passes what was received on, as far as the exchange's state allows. */
  private void process() {
    while (true) {
      ByteBuf in = cumulation;
      switch (state) {
        case BODY -> {
          UpstreamStream up = exchange.bodyTarget();
          if (up == null) return;
          if (in != null && in.isReadable()) forward(in, up);
          if (!endStream || (cumulation != null && cumulation.isReadable())) {
            if (!up.isWritable()) pauseReading();
            return;
          }
          if (chunked) {
            ByteBuf last = lastChunk;
            lastChunk = null;
            if (last == null) {
              exchange.forwardBody(up, LAST_CHUNK, 0, LAST_CHUNK.readableBytes());
            } else {
              exchange.forwardBody(up, last, 0, last.readableBytes());
              last.release();
            }
          }
          requestComplete = true;
          state = AWAIT_RESPONSE;
          exchange.bodyForwarded(up);
        }
        case PREBUFFER -> {
          int buffered = in == null ? 0 : in.readableBytes();
          if (!endStream && buffered < requestBufferLimit) return;
          exchange.prebuffered(endStream);
          if (state == PREBUFFER) return;
        }
        case BUFFER -> {
          if (in != null && in.isReadable()) {
            exchange.filterBody(in, in.readerIndex(), in.readableBytes());
            in.skipBytes(in.readableBytes());
          }
          if (!endStream) return;
          requestComplete = true;
          state = FILTERS;
          exchange.filterBodyDone();
        }
        default -> {
          return;
        }
      }
    }
  }

  private void forward(ByteBuf in, UpstreamStream up) {
    int from = in.readerIndex();
    int n = in.readableBytes();
    if (chunked) {
      ByteBuf size = ctx.alloc().ioBuffer(10);
      size.writeCharSequence(Integer.toHexString(n), StandardCharsets.ISO_8859_1);
      size.writeShort(0x0d0a);
      exchange.forwardBody(up, size, 0, size.readableBytes());
      size.release();
      exchange.forwardBody(up, in, from, n);
      exchange.forwardBody(up, CRLF, 0, 2);
    } else {
      exchange.forwardBody(up, in, from, n);
    }
    in.skipBytes(n);
    releaseCumulation();
  }

  private void releaseCumulation() {
    ByteBuf c = cumulation;
    if (c != null) {
      cumulation = null;
      c.release();
    }
  }

  private void releaseLastChunk() {
    ByteBuf last = lastChunk;
    if (last != null) {
      lastChunk = null;
      last.release();
    }
  }

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

  /** A malformed request (or a body over its limit): 4xx if nothing was answered yet, else the stream is reset. */
  private void rejected(RequestRejectedException e) {
    if (state == CLOSED || state == DONE) return;
    if (responseStarted || request == null && state != HEAD) {
      channel.close();
      return;
    }
    String reason = switch (e.status()) {
      case 413 -> "request_body_too_large";
      case 431 -> "request_header_too_large";
      default -> "bad_request";
    };
    exchange.cancel();
    LocalResponse r = LocalResponse.error(e.status(), reason, e.getMessage());
    Http2Headers headers = Http2ResponseHeads.of(r, new HeaderEdits());
    responseStarted = true;
    ctx.write(new DefaultHttp2HeadersFrame(headers, false), ctx.voidPromise());
    writeEnd(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(r.body()), true));
    exchange.rejectedStream(listener.config(), connection.clientIp(), reason, e.status(),
        Http2ResponseHeads.size(headers) + r.body().length);
    finish();
  }

  /**
   * The response has ended: a request still being sent is cut short (RST_STREAM NO_ERROR, RFC 9113
   * §8.1) once the response is out: a reset written earlier would discard the response's frames
   * still waiting for the client's window.
   */
  private void finish() {
    state = DONE;
    request = null;
    releaseCumulation();
    releaseLastChunk();
    ChannelFuture end = endWrite;
    endWrite = null;
    if (!endStream && end != null) {
      end.addListener(f -> {
        if (channel.isActive() && !endStream) ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
      });
    }
    flush();
  }

  /**
   * Writes the frame that ends the response. While the client is still sending, its completion is
   * kept: {@link #finish} resets the stream after it.
   */
  private void writeEnd(Object frame) {
    endSent = true;
    if (endStream) {
      ctx.write(frame, ctx.voidPromise());
    } else {
      endWrite = ctx.write(frame);
    }
  }

  // ---- Downstream: what the exchange asks of this stream

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
    return connection.identity().certificate();
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
    // A stream ends with its response; the connection is not this stream's to close.
  }

  @Override
  public boolean beginResponse(boolean bodyUntilClose) {
    responseStarted = true;
    return false;
  }

  @Override
  public boolean beginLocalResponse(boolean close) {
    responseStarted = true;
    return false;
  }

  @Override
  public int writeResponseHead(ResponseMessage head, @Nullable HeaderEdits edits, boolean noBody, long bodyLength) {
    responseStarted = true;
    long length = bodyLength >= 0 ? -1 // the edits carry the Content-Length of the body the filters made
        : bodyLength == BODY_AS_RECEIVED || noBody ? head.bodyLength() : -1;
    Http2Headers headers = Http2ResponseHeads.of(head, edits, length);
    // A head that ends the response (gRPC's trailers-only answer) goes out as one HEADERS frame.
    if (noBody || (bodyLength == BODY_AS_RECEIVED && head.bodyLength() == 0)) {
      writeEnd(new DefaultHttp2HeadersFrame(headers, true));
    } else {
      ctx.write(new DefaultHttp2HeadersFrame(headers, false), ctx.voidPromise());
    }
    lastWritable = System.nanoTime();
    if (timer == null) {
      ListenerConfig c = listener.config();
      if (c != null) scheduleTimer(c.idleTimeoutNanos);
    }
    return Http2ResponseHeads.size(headers);
  }

  @Override
  public boolean responseBodyFramed() {
    return false;
  }

  @Override
  public int writeLocalResponse(LocalResponse response, HeaderEdits edits, boolean close) {
    responseStarted = true;
    Http2Headers headers = Http2ResponseHeads.of(response, edits);
    RequestMessage h = request;
    boolean noBody = response.body().length == 0 || (h != null && h.method().equals("HEAD"))
        || response.status() == 204 || response.status() == 304;
    int n = Http2ResponseHeads.size(headers);
    if (noBody) {
      writeEnd(new DefaultHttp2HeadersFrame(headers, true));
    } else {
      ctx.write(new DefaultHttp2HeadersFrame(headers, false), ctx.voidPromise());
      writeEnd(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(response.body()), true));
      n += response.body().length;
    }
    return n;
  }

  @Override
  public int writeDirectResponse(DirectResponder direct, RequestMessage request) {
    return writeLocalResponse(direct.forHeaderList(request), new HeaderEdits(), false);
  }

  @Override
  public int writeError(int status, String reason, String message) {
    return writeLocalResponse(LocalResponse.error(status, reason, message), new HeaderEdits(), false);
  }

  @Override
  public int writeUpgradeRefusal(int status, String reason, String message) {
    // HTTP/2 has no Upgrade (the request head refuses its fields): only the plain error is left.
    return writeError(status, reason, message);
  }

  @Override
  public void writeTrailers(io.sluice.proxy.message.Trailers trailers) {
    if (endSent || state == CLOSED) return;
    writeEnd(new DefaultHttp2HeadersFrame(io.sluice.proxy.http2.Http2Trailers.headers(trailers), true));
  }

  @Override
  public void write(ByteBuf buf) {
    if (endSent || state == CLOSED) {
      buf.release();
      return;
    }
    ctx.write(new DefaultHttp2DataFrame(buf, false), ctx.voidPromise());
  }

  @Override
  public void flush() {
    // The stream's frames are in the connection's pipeline already (a child channel writes
    // through); the connection flushes them with the other streams' (see Http2Connection.flushSoon).
    connection.flushSoon();
  }

  @Override
  public boolean isWritable() {
    return channel.isWritable();
  }

  @Override
  public void prebuffer() {
    state = PREBUFFER;
    resumeReading();
  }

  @Override
  public void limitBody(long maxBytes) {
    maxBody = Math.min(maxBody, maxBytes);
    if (bodyReceived > maxBody) throw new RequestRejectedException(413, "request body larger than " + maxBody + " bytes");
  }

  @Override
  public void awaitFilters() {
    state = FILTERS;
  }

  @Override
  public void readBodyForFilters() {
    state = BUFFER;
    resumeReading();
  }

  @Override
  public void streamBodyTo(UpstreamStream up) {
    state = requestComplete ? AWAIT_RESPONSE : BODY;
    if (!up.isReady() && !requestComplete) pauseReading();
  }

  @Override
  public void bodyTargetReady() {
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
    if (state >= DONE) return;
    process();
    exchange.flushUpstream();
  }

  @Override
  public void localResponseDone() {
    resumeReading();
    finish();
  }

  @Override
  public void exchangeEnded() {
    if (!endSent && state != CLOSED) writeEnd(new DefaultHttp2DataFrame(true));
    resumeReading();
    finish();
  }

  @Override
  public void abortConnection() {
    // Only this stream: closing its channel resets it (RST_STREAM CANCEL); the connection goes on.
    channel.close();
  }

  @Override
  public TunnelSide switchProtocols() {
    throw new IllegalStateException("an HTTP/2 stream has no HTTP/1.1 Upgrade");
  }

  // ---- the idle timer: a body that stops arriving, a window that never opens

  private void scheduleTimer(long delayNanos) {
    timer = ctx.executor().schedule(this::onTimer, Math.max(delayNanos, TimeUnit.MILLISECONDS.toNanos(10)), TimeUnit.NANOSECONDS);
  }

  private void onTimer() {
    if (state >= DONE) return;
    ListenerConfig c = listener.config();
    long idle = c == null ? TimeUnit.SECONDS.toNanos(60) : c.idleTimeoutNanos;
    long now = System.nanoTime();
    if (state == BODY || state == BUFFER || state == PREBUFFER) {
      // Paused by back-pressure, the wait is the gateway's, not the client's.
      if (readPaused) lastActivity = now;
      long left = lastActivity + idle - now;
      if (left <= 0 && !endStream) {
        exchange.clientBodyTimedOut();
        return;
      }
      scheduleTimer(Math.max(left, idle / 4));
      return;
    }
    if (responseStarted && !channel.isWritable()) {
      long left = lastWritable + idle - now;
      if (left <= 0) {
        channel.close();
        return;
      }
      scheduleTimer(left);
      return;
    }
    if (channel.isWritable()) lastWritable = now;
    scheduleTimer(idle);
  }
}
