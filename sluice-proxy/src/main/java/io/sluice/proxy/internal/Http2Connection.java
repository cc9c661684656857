package io.sluice.proxy.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Connection.Endpoint;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2LocalFlowController;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.proxy.tls.internal.ClientIdentity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP/2 client connection's own business, beside Netty's frame codec and multiplexer: its place
 * in the listener's connection count, the client's address and TLS identity its streams share, the
 * connection-level receive window, the idle timeout (no open stream for {@code timeouts.idle}:
 * GOAWAY and close) and the graceful close on drain (GOAWAY: streams in flight finish, new ones go
 * to a new connection). The last handler of the connection's pipeline.
 *
 * <p>The connection window is opened to what all streams' windows add up to, so that streams paused
 * by back-pressure (their DATA unread, their windows not given back) never hold back the others:
 * flow control works per stream only.
 *
 * <p>Threading: the connection's event loop.
 */
final class Http2Connection extends ChannelInboundHandlerAdapter {
  private final ListenerRuntime listener;
  private final Http2FrameCodec codec;
  private final int connectionWindow;
  @SuppressWarnings("NullAway.Init") // set in handlerAdded
  private Channel channel;
  private String clientIp = "";
  private @Nullable ClientIdentity identity;
  private @Nullable ScheduledFuture<?> timer;
  private long idleSince;
  @SuppressWarnings("NullAway.Init") // set in handlerAdded
  private ChannelHandlerContext ctx;
  /** A flush of the connection is queued on the loop (see {@link #flushSoon}). */
  private boolean flushQueued;
  private final Runnable flushTask = this::flushNow;

  Http2Connection(ListenerRuntime listener, Http2FrameCodec codec, int connectionWindow) {
    this.listener = listener;
    this.codec = codec;
    this.connectionWindow = connectionWindow;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Http2Exception {
    this.ctx = ctx;
    channel = ctx.channel();
    if (channel.remoteAddress() instanceof InetSocketAddress a) clientIp = a.getAddress().getHostAddress();
    io.netty.handler.codec.http2.Http2Connection c = codec.connection();
    Http2LocalFlowController flow = c.local().flowController();
    int delta = connectionWindow - flow.initialWindowSize(c.connectionStream());
    if (delta > 0) {
      flow.incrementWindowSize(c.connectionStream(), delta);
      ctx.flush();
    }
    idleSince = System.nanoTime();
    ListenerConfig cfg = listener.config();
    scheduleTimer(ctx, cfg == null ? TimeUnit.SECONDS.toNanos(60) : cfg.idleTimeoutNanos);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    listener.connectionClosed(channel);
    if (timer != null) timer.cancel(false);
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A protocol error: the codec shows it here first, then answers it itself (GOAWAY with its code,
    // or RST_STREAM); closing here would send a GOAWAY without the code first.
    if (cause instanceof Http2Exception) return;
    // The network's (resets, broken pipes), or a bug, which is counted and logged.
    if (!(cause instanceof IOException)) listener.unexpectedErrors().record(UnexpectedErrors.Where.DOWNSTREAM, cause);
    channel.close();
  }

  /**
   * Flushes what the connection's streams wrote, once, after the event loop has handled the I/O
   * it is on now. Responses end while the loop reads their upstreams' connections, one upstream
   * read each; flushing each of them would cost one write system call per response (HTTP/1.1's
   * cost), where one per connection per loop turn carries every response that ended in it. The
   * loop runs its tasks right after its I/O, so the wait is at most the rest of that turn.
   * (Flushes while this connection itself is read are joined by Netty's multiplexer already.)
   */
  void flushSoon() {
    if (flushQueued) return;
    flushQueued = true;
    ctx.executor().execute(flushTask);
  }

  private void flushNow() {
    flushQueued = false;
    ctx.flush();
  }

  /** A stream closed: the idle time counts from the last one. */
  void streamEnded() {
    idleSince = System.nanoTime();
  }

  /** The client's address, as its streams' requests report it. */
  String clientIp() {
    return clientIp;
  }

  /** The scheme and client certificate of this connection, read once (the TLS handshake is over when a stream starts). */
  ClientIdentity identity() {
    ClientIdentity id = identity;
    if (id == null) identity = id = ClientIdentity.of(channel);
    return id;
  }

  /**
   * Shutdown or reload: GOAWAY now. Streams in flight finish (up to the listener's drain timeout,
   * the codec's graceful-shutdown timeout); the client opens new ones on a new connection.
   */
  void drain() {
    channel.close();
  }

  private void scheduleTimer(ChannelHandlerContext ctx, long delayNanos) {
    timer = ctx.executor().schedule(() -> onTimer(ctx), Math.max(delayNanos, TimeUnit.MILLISECONDS.toNanos(10)),
        TimeUnit.NANOSECONDS);
  }

  private void onTimer(ChannelHandlerContext ctx) {
    if (!channel.isActive()) return;
    ListenerConfig c = listener.config();
    if (c == null) {
      channel.close();
      return;
    }
    long now = System.nanoTime();
    Endpoint<?> remote = codec.connection().remote();
    if (remote.numActiveStreams() > 0) {
      idleSince = now;
      scheduleTimer(ctx, c.idleTimeoutNanos);
      return;
    }
    long left = idleSince + c.idleTimeoutNanos - now;
    if (left <= 0) {
      channel.close();
      return;
    }
    scheduleTimer(ctx, left);
  }
}
