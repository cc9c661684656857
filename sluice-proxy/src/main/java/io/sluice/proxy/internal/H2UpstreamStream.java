package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.proxy.http2.Http2ResponseHead;
import io.sluice.proxy.http2.Http2Trailers;
import io.sluice.proxy.http2.Http2UpstreamHeads;
import io.sluice.proxy.message.ChunkDecoder;
import io.sluice.proxy.message.Trailers;
import io.sluice.proxy.upstream.Endpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One attempt on an HTTP/2 upstream connection ({@link H2UpstreamConnection}): the HTTP/2
 * {@link UpstreamStream}, the handler of one outbound stream's child channel
 * ({@code Http2StreamChannelBootstrap}).
 *
 * <p>The request: the exchange's HTTP/1.1 description of it becomes a HEADERS frame
 * ({@link Http2UpstreamHeads}); body bytes become DATA frames, with the chunk framing of a body of
 * unknown length removed ({@link ChunkDecoder}) and its trailer fields sent as the closing HEADERS.
 * Back-pressure: the child channel is writable while the stream's and the connection's windows
 * have room ({@link #isWritable}, {@link UpstreamStream.Events#onWritable}).
 *
 * <p>The response: the first final HEADERS is the head ({@link Http2ResponseHead}); DATA is the
 * body, delivered as content ({@link #BODY_DECODED}, trailers through
 * {@link UpstreamStream.Events#onResponseTrailers}) or as HTTP/1.1 chunks with the trailers in the
 * last one ({@link #BODY_FRAMED}, for an HTTP/1.1 client). While the client does not take more,
 * the child channel stops reading: its DATA stays queued and the stream's window closes, which
 * stops this stream only.
 *
 * <p>Failures: a stream the upstream refused (RST_STREAM REFUSED_STREAM, or above the last stream
 * id of a GOAWAY) was not processed, so a request that can be sent again goes again on a new
 * connection ({@code staleReuse}); any other reset or the connection's loss fails the attempt.
 * {@link #abort} resets the stream (RST_STREAM CANCEL): a client that goes away cancels upstream.
 *
 * <p>Threading: the connection's event loop (the exchange's).
 */
final class H2UpstreamStream extends ChannelInboundHandlerAdapter implements UpstreamStream {
  private static final int OPENING = 0;
  private static final int HEAD = 1;
  private static final int BODY = 2;
  private static final int WAITING = 3;
  private static final int DONE = 4;

  private final H2UpstreamConnection connection;
  private final Endpoint endpoint;
  private final UnexpectedErrors unexpected;
  private final boolean replayable;
  private final boolean teTrailers;
  private final long responseTimeoutNanos;
  private UpstreamStream.@Nullable Events events;
  private @Nullable Http2StreamChannel channel;
  private @Nullable ByteBuf pendingHead;
  private int state = OPENING;
  private int mode;
  private boolean ready;
  private boolean requestComplete;
  private boolean endSent;
  private boolean chunked;
  private @Nullable ChunkDecoder decoder;
  /** The trailer fields of a chunked request body (those an HTTP/2 request may carry), or null before any. */
  private @Nullable Trailers requestTrailers;
  private boolean pausedByDownstream;
  private boolean active;
  /** The upstream will not process this stream (REFUSED_STREAM, or beyond a GOAWAY's last stream id). */
  private boolean refused;
  private @Nullable Http2Error resetBy;
  private @Nullable ArrayDeque<Object> held;
  private @Nullable ScheduledFuture<?> timer;
  private final ChunkDecoder.DataSink dataSink = this::sendData;

  private H2UpstreamStream(H2UpstreamConnection connection, Endpoint endpoint, UnexpectedErrors unexpected,
      UpstreamStream.Events events, ByteBuf head, boolean requestComplete, boolean replayable, boolean teTrailers,
      long responseTimeoutNanos) {
    this.connection = connection;
    this.endpoint = endpoint;
    this.unexpected = unexpected;
    this.events = events;
    this.pendingHead = head;
    this.requestComplete = requestComplete;
    this.replayable = replayable;
    this.teTrailers = teTrailers;
    this.responseTimeoutNanos = responseTimeoutNanos;
    endpoint.requestStarted();
    active = true;
  }

  /**
   * Starts an attempt on a connection of the calling loop's pool to {@code endpoint} with room for
   * a stream (a new one when none has). Takes ownership of {@code head}
   * unless null is returned: the endpoint's connection limit is reached.
   *
   * @param head the request head as the exchange encoded it (HTTP/1.1), followed by body bytes, if any
   * @param requestComplete the whole request is in {@code head}
   * @param replayable the request can be sent again (its body is in memory, or it has none)
   * @param teTrailers the client sent {@code TE: trailers}
   */
  static @Nullable H2UpstreamStream open(UpstreamStream.Events events, io.netty.channel.EventLoop loop,
      UpstreamRuntime upstream, Endpoint endpoint,
      ByteBuf head, boolean requestComplete, boolean replayable, boolean teTrailers, long responseTimeoutNanos,
      UnexpectedErrors unexpected) {
    H2UpstreamConnection c = LoopThread.current().context().h2().acquire(loop, upstream, endpoint, unexpected);
    if (c == null) return null;
    H2UpstreamStream s = new H2UpstreamStream(c, endpoint, unexpected, events, head, requestComplete, replayable,
        teTrailers, responseTimeoutNanos);
    c.add(s);
    return s;
  }

  /**
   * The connection is ready for streams (or {@code failure} says why it never will be).
   *
   * @param again on a failure, nothing of the request was sent and it goes again on a new connection
   */
  void connectionReady(@Nullable FailureKind failure, String message, boolean again) {
    if (events == null) {
      // Aborted while the connection was being made: its slot on the connection is free again.
      release();
      if (failure == null) connection.streamEnded();
      return;
    }
    if (failure != null) {
      fail(failure, message, again);
      return;
    }
    Future<Http2StreamChannel> f = connection.openChild(this);
    f.addListener(x -> opened(f));
  }

  private void opened(Future<Http2StreamChannel> f) {
    if (!f.isSuccess()) {
      connection.streamEnded();
      fail(FailureKind.RESET, "cannot open a stream to " + endpoint.address() + ": " + f.cause().getMessage(),
          replayable);
      return;
    }
    Http2StreamChannel ch = f.getNow();
    ch.closeFuture().addListener(x -> connection.streamEnded());
    if (events == null) {
      release();
      ch.close();
      return;
    }
    channel = ch;
    state = HEAD;
    sendHead(ch);
  }

  private void sendHead(Http2StreamChannel ch) {
    ByteBuf h = pendingHead;
    pendingHead = null;
    if (h == null) return;
    Http2UpstreamHeads.Request r;
    try {
      r = Http2UpstreamHeads.of(h, connection.scheme(), teTrailers);
    } catch (RuntimeException e) {
      h.release();
      fail(FailureKind.PROTOCOL_ERROR, "cannot send the request as HTTP/2: " + e.getMessage(), false);
      return;
    }
    chunked = r.chunked();
    h.skipBytes(r.headLength());
    boolean rest = h.isReadable();
    boolean endNow = requestComplete && !rest;
    endSent = endNow;
    ch.write(new DefaultHttp2HeadersFrame(r.headers(), endNow), ch.voidPromise());
    if (rest) {
      sendBody(h);
    } else {
      h.release();
    }
    if (requestComplete) endRequest();
    ch.flush();
    ready = true;
    if (requestComplete) armTimer();
    UpstreamStream.Events ev = events;
    if (ev != null) ev.onReady();
  }

  private void sendBody(ByteBuf body) {
    Http2StreamChannel ch = channel;
    if (ch == null || endSent) {
      body.release();
      return;
    }
    if (!chunked) {
      ch.write(new DefaultHttp2DataFrame(body, false), ch.voidPromise());
      return;
    }
    ChunkDecoder d = decoder;
    if (d == null) {
      decoder = d = new ChunkDecoder();
      d.reset(this::requestTrailer);
    }
    try {
      d.decode(body, body.readerIndex(), body.writerIndex(), dataSink);
    } finally {
      body.release();
    }
  }

  private void sendData(ByteBuf buf, int index, int length) {
    Http2StreamChannel ch = channel;
    if (ch != null && length > 0) ch.write(new DefaultHttp2DataFrame(buf.retainedSlice(index, length), false), ch.voidPromise());
  }

  private void requestTrailer(String name, String value) {
    String lower = name.toLowerCase(Locale.ROOT);
    if (!Trailers.allowed(lower)) return;
    Trailers t = requestTrailers;
    if (t == null) requestTrailers = t = new Trailers();
    t.add(lower, value);
  }

  /** The request is complete: END_STREAM, on its trailers if a chunked body had some. */
  private void endRequest() {
    Http2StreamChannel ch = channel;
    if (endSent || ch == null) return;
    endSent = true;
    Trailers t = requestTrailers;
    if (t != null && !t.isEmpty()) {
      ch.write(new DefaultHttp2HeadersFrame(Http2Trailers.headers(t), true), ch.voidPromise());
    } else {
      ch.write(new DefaultHttp2DataFrame(true), ch.voidPromise());
    }
  }

  // ---- UpstreamStream

  @Override
  public boolean isReady() {
    return ready;
  }

  @Override
  public boolean isWritable() {
    Channel ch = channel;
    return ch != null && ch.isWritable();
  }

  @Override
  public void write(ByteBuf body) {
    sendBody(body);
  }

  @Override
  public void flush() {
    Channel ch = channel;
    if (ch != null) ch.flush();
  }

  @Override
  public void requestSent() {
    requestComplete = true;
    if (!ready) return;
    endRequest();
    flush();
    if (state == HEAD) armTimer();
  }

  @Override
  public void resumeReading() {
    Channel ch = channel;
    if (pausedByDownstream && ch != null) {
      pausedByDownstream = false;
      if (state != WAITING) ch.config().setAutoRead(true);
    }
  }

  @Override
  public void proceed(int mode) {
    Channel ch = channel;
    if (state != WAITING || events == null || ch == null) return;
    if (mode == DROP) {
      drop();
      return;
    }
    this.mode = mode;
    state = BODY;
    ArrayDeque<Object> q = held;
    held = null;
    if (q != null) {
      Object m;
      while ((m = q.poll()) != null) {
        if (events == null) {
          ReferenceCountUtil.release(m);
        } else {
          frame(m);
        }
      }
    }
    UpstreamStream.Events ev = events;
    if (ev == null) return;
    if (!pausedByDownstream) ch.config().setAutoRead(true);
    ev.onResponseFlush();
  }

  @Override
  public void abort() {
    events = null;
    drop();
  }

  /** The response is not wanted: the stream is reset (RST_STREAM CANCEL). */
  private void drop() {
    events = null;
    state = DONE;
    release();
    Channel ch = channel;
    if (ch != null) ch.close();
  }

  // ---- the child channel

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (events == null || state == DONE) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (state == WAITING) {
      ArrayDeque<Object> q = held;
      if (q == null) held = q = new ArrayDeque<>(4);
      q.add(msg);
      return;
    }
    frame(msg);
  }

  private void frame(Object msg) {
    UpstreamStream.Events ev = events;
    if (ev == null) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof Http2HeadersFrame h) {
      if (state == HEAD) {
        head(ev, h.headers(), h.isEndStream());
      } else {
        trailers(ev, h.headers());
      }
    } else if (msg instanceof Http2DataFrame d) {
      data(ev, d);
    } else {
      ReferenceCountUtil.release(msg);
    }
    UpstreamStream.Events now = events;
    Channel ch = channel;
    if (now != null && ch != null && !pausedByDownstream && state == BODY && !now.clientWritable()) {
      pausedByDownstream = true;
      ch.config().setAutoRead(false);
    }
  }

  private void head(UpstreamStream.Events ev, Http2Headers headers, boolean endStream) {
    Http2ResponseHead head;
    try {
      head = new Http2ResponseHead(headers, endStream);
    } catch (NumberFormatException e) {
      protocolError("invalid response head: " + e.getMessage());
      return;
    }
    if (head.status() < 200) {
      // Interim responses are the gateway's to handle, not the client's.
      if (endStream || head.status() == 101) protocolError("interim response " + head.status() + " ended the stream");
      return;
    }
    if (head.status() > 599) {
      protocolError("status " + head.status() + " outside 100-599");
      return;
    }
    cancelTimer();
    state = BODY;
    int answer = ev.onResponseHead(head);
    if (events == null) return;
    switch (answer) {
      case DROP -> {
        drop();
        return;
      }
      case WAIT -> {
        state = WAITING;
        Channel ch = channel;
        if (ch != null) ch.config().setAutoRead(false);
        if (endStream) {
          ArrayDeque<Object> q = new ArrayDeque<>(1);
          q.add(new DefaultHttp2DataFrame(true));
          held = q;
        }
        return;
      }
      default -> mode = answer;
    }
    if (endStream) end(ev, false);
  }

  private void data(UpstreamStream.Events ev, Http2DataFrame d) {
    ByteBuf content = d.content();
    int n = content.readableBytes();
    if (n == 0) {
      d.release();
    } else if (mode == BODY_FRAMED) {
      ByteBuf size = channelAlloc().ioBuffer(18);
      size.writeCharSequence(Integer.toHexString(n), StandardCharsets.ISO_8859_1);
      size.writeShort(0x0d0a);
      ev.onResponseData(size);
      ev.onResponseData(content);
      if (events != null) ev.onResponseData(channelAlloc().ioBuffer(2).writeShort(0x0d0a));
    } else {
      ev.onResponseData(content);
    }
    if (d.isEndStream() && events != null) end(ev, true);
  }

  private void trailers(UpstreamStream.Events ev, Http2Headers headers) {
    if (mode == BODY_FRAMED) {
      ev.onResponseData(Http2Trailers.lastChunk(channelAlloc(), headers));
      if (events != null) end(ev, false);
      return;
    }
    ev.onResponseTrailers(Http2Trailers.of(headers));
    if (events != null) end(ev, false);
  }

  private io.netty.buffer.ByteBufAllocator channelAlloc() {
    Channel ch = channel;
    return ch != null ? ch.alloc() : io.netty.buffer.PooledByteBufAllocator.DEFAULT;
  }

  /** The response is complete ({@code lastChunk}: the framed mode still owes the last chunk). */
  private void end(UpstreamStream.Events ev, boolean lastChunk) {
    if (lastChunk && mode == BODY_FRAMED) {
      ev.onResponseData(Unpooled.copiedBuffer("0\r\n\r\n", StandardCharsets.ISO_8859_1));
      if (events == null) return;
    }
    events = null;
    state = DONE;
    release();
    Channel ch = channel;
    // Both sides ended: the codec has closed the stream. A request still being sent is cut short
    // (RST_STREAM CANCEL): the response does not need it.
    if (ch != null && !endSent) ch.close();
    ev.onResponseEnd();
  }

  private void protocolError(String message) {
    fail(FailureKind.PROTOCOL_ERROR, "upstream " + endpoint.address() + ": " + message, false);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof Http2ResetFrame r) {
      // The multiplexer passes a received RST_STREAM as an event; the channel closes right after.
      resetBy = Http2Error.valueOf(r.errorCode());
      if (resetBy == Http2Error.REFUSED_STREAM && (state == HEAD || state == OPENING)) refused = true;
      return;
    }
    if (evt instanceof Http2GoAwayFrame g) {
      // The upstream will not process this stream (its id is above the GOAWAY's last stream id).
      if (state == HEAD || state == OPENING) refused = true;
      g.release();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    UpstreamStream.Events ev = events;
    if (ev != null && state == BODY) ev.onResponseFlush();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    UpstreamStream.Events ev = events;
    Channel ch = channel;
    if (ev != null && ready && ch != null && ch.isWritable()) ev.onWritable();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseHeld();
    cancelTimer();
    UpstreamStream.Events ev = events;
    if (ev == null) return;
    Http2StreamChannel ch = channel;
    // A GOAWAY closes the streams above its last stream id before the multiplexer tells them.
    // A stream without an id never reached the server (its HEADERS could not be sent: the connection
    // had a GOAWAY by then); one above the GOAWAY's last stream id was not processed.
    if (state == HEAD && ch != null && (ch.stream().id() <= 0 || connection.refusedByGoAway(ch.stream().id()))) refused = true;
    if (refused) {
      fail(FailureKind.RESET, "upstream " + endpoint.address() + " refused the stream (not processed)", replayable);
      return;
    }
    Http2Error by = resetBy;
    String why = by != null ? "reset the stream (" + by + ")" : "closed the connection";
    fail(FailureKind.RESET, "upstream " + endpoint.address() + " " + why
        + (state == BODY || state == WAITING ? " during the response" : " before responding"), false);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof IOException) && !(cause instanceof io.netty.handler.codec.http2.Http2Exception)) {
      unexpected.record(UnexpectedErrors.Where.UPSTREAM, cause);
    }
    ctx.channel().close();
  }

  private void fail(FailureKind kind, String message, boolean retryOnNewConnection) {
    UpstreamStream.Events ev = events;
    events = null;
    state = DONE;
    release();
    cancelTimer();
    ByteBuf h = pendingHead;
    pendingHead = null;
    if (h != null) h.release();
    Channel ch = channel;
    if (ch != null) ch.close();
    if (ev != null) ev.onFailure(kind, message, retryOnNewConnection);
  }

  private void release() {
    ByteBuf h = pendingHead;
    pendingHead = null;
    if (h != null) h.release();
    releaseHeld();
    cancelTimer();
    if (active) {
      active = false;
      endpoint.requestEnded();
    }
  }

  private void releaseHeld() {
    ArrayDeque<Object> q = held;
    held = null;
    if (q != null) {
      for (Object m : q) ReferenceCountUtil.release(m);
    }
  }

  private void armTimer() {
    if (timer != null || state != HEAD) return;
    timer = connection.eventLoop().schedule(this::responseTimedOut, responseTimeoutNanos, TimeUnit.NANOSECONDS);
  }

  private void cancelTimer() {
    ScheduledFuture<?> t = timer;
    if (t != null) {
      timer = null;
      t.cancel(false);
    }
  }

  private void responseTimedOut() {
    timer = null;
    if (state != HEAD || events == null) return;
    fail(FailureKind.RESPONSE_TIMEOUT, "no response from " + endpoint.address() + " within "
        + io.sluice.api.codec.Durations.format(java.time.Duration.ofNanos(responseTimeoutNanos)), false);
  }
}
