package io.sluice.proxy.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.proxy.tls.internal.ClientTls;
import io.sluice.proxy.upstream.Endpoint;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP/2 connection to an upstream endpoint (h2 by ALPN on TLS, or h2c with prior knowledge),
 * opened on an event loop and pooled on it by {@link H2UpstreamPool}: many {@link H2UpstreamStream}s
 * at once, up to the server's SETTINGS_MAX_CONCURRENT_STREAMS (100 until its SETTINGS arrive).
 *
 * <p>Pipeline: [TLS], Netty's {@link Http2FrameCodec}, an {@link Http2MultiplexHandler} (one child
 * channel per stream: each attempt gets its own auto-read and writability, the two switches the
 * exchange's back-pressure already uses, as on the client side), then this handler, which sees the
 * connection's frames: SETTINGS, PING acks and GOAWAY. After a GOAWAY the connection takes no new
 * streams (the multiplexer tells the streams above its last stream id, which fail as refused) and
 * closes when its last stream ends.
 *
 * <p>Keep-alive: while no stream is open, a PING goes out every {@code http2.pingInterval}; an ACK
 * that does not come back within {@code http2.pingTimeout} closes the connection. A connection with
 * no stream for the pool's idle timeout is closed.
 *
 * <p>Threading: its event loop only.
 */
final class H2UpstreamConnection extends ChannelInboundHandlerAdapter {
  /** Streams a connection takes before the server's SETTINGS say how many it allows. */
  private static final int STREAMS_BEFORE_SETTINGS = 100;
  /** Each stream's receive window: a paused stream holds at most this much in memory. */
  private static final int STREAM_WINDOW = 256 * 1024;
  /** The connection's receive window: enough for the streams' windows, so a paused stream never holds back the others. */
  private static final int CONNECTION_WINDOW = 32 * 1024 * 1024;

  private final H2UpstreamPool pool;
  private final Endpoint endpoint;
  private final UnexpectedErrors unexpected;
  private final String scheme;
  private final long idleTimeoutNanos;
  private final long pingIntervalNanos;
  private final long pingTimeoutNanos;
  private final boolean tls;
  /** {@code protocol: auto}: an endpoint whose ALPN choice is not h2 is spoken to in HTTP/1.1. */
  private final boolean auto;
  @SuppressWarnings("NullAway.Init") // set by open() right after construction
  private Channel channel;
  private @Nullable Http2FrameCodec codec;
  private boolean ready;
  private boolean closed;
  private boolean goAway;
  private boolean settingsReceived;
  /** Streams bound to this connection: waiting for it to be ready, open, or closing. */
  private int streams;
  private long idleSince = System.nanoTime();
  private long pingSentAt;
  private @Nullable ScheduledFuture<?> keepAlive;
  private final List<H2UpstreamStream> waiting = new ArrayList<>(2);

  private H2UpstreamConnection(H2UpstreamPool pool, Endpoint endpoint, UpstreamRuntime upstream, UnexpectedErrors unexpected) {
    this.pool = pool;
    this.endpoint = endpoint;
    this.unexpected = unexpected;
    this.tls = upstream.tls != null;
    this.auto = upstream.spec.protocolOrDefault().equals(io.sluice.api.upstream.UpstreamSpec.AUTO);
    this.scheme = tls ? "https" : "http";
    this.idleTimeoutNanos = upstream.idleTimeoutNanos;
    this.pingIntervalNanos = upstream.spec.http2OrDefault().pingInterval().toNanos();
    this.pingTimeoutNanos = upstream.spec.http2OrDefault().pingTimeout().toNanos();
  }

  /** Opens a connection to {@code endpoint} on {@code loop}; the caller has taken a connection slot of the endpoint. */
  static H2UpstreamConnection open(H2UpstreamPool pool, EventLoop loop, UpstreamRuntime upstream, Endpoint endpoint,
      UnexpectedErrors unexpected) {
    H2UpstreamConnection c = new H2UpstreamConnection(pool, endpoint, upstream, unexpected);
    ClientTls t = upstream.tls;
    String host = endpoint.socketAddress().getHostString();
    int port = endpoint.socketAddress().getPort();
    ChannelFuture f = new Bootstrap()
        .group(loop)
        .channel(Transport.socketChannelClass())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, upstream.connectTimeoutMillis)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            if (t != null) ch.pipeline().addLast(t.newHandler(ch.alloc(), host, port));
            // HTTP/2 starts after the TLS handshake (its ALPN result decides): see connected().
            if (t == null) c.addHttp2(ch);
          }
        })
        .connect(endpoint.socketAddress());
    c.channel = f.channel();
    c.channel.closeFuture().addListener(x -> c.closed());
    f.addListener(x -> {
      if (!f.isSuccess()) {
        c.connectFailed(f.cause() instanceof ConnectTimeoutException ? FailureKind.CONNECT_TIMEOUT : FailureKind.CONNECT_FAILURE,
            "cannot connect to " + endpoint.address() + ": " + f.cause().getMessage());
        return;
      }
      SslHandler ssl = c.channel.pipeline().get(SslHandler.class);
      if (ssl == null) {
        c.connected();
      } else {
        ssl.handshakeFuture().addListener(h -> c.handshaken(h, ssl));
      }
    });
    return c;
  }

  private void addHttp2(Channel ch) {
    Http2FrameCodec fc = Http2FrameCodecBuilder.forClient()
        .initialSettings(Http2Settings.defaultSettings().pushEnabled(false).initialWindowSize(STREAM_WINDOW))
        .build();
    codec = fc;
    ch.pipeline().addLast(fc, new Http2MultiplexHandler(new RefusePush()), this);
  }

  private void handshaken(Future<?> h, SslHandler ssl) {
    if (!h.isSuccess()) {
      Throwable cause = h.cause();
      connectFailed(ClientTls.isCertificateProblem(cause) ? FailureKind.CERT_INVALID : FailureKind.TLS_HANDSHAKE,
          "TLS handshake with " + endpoint.address() + " failed: " + cause.getMessage());
      return;
    }
    String alpn = ssl.applicationProtocol();
    if (!ApplicationProtocolNames.HTTP_2.equals(alpn)) {
      if (auto) {
        // protocol auto: the endpoint speaks HTTP/1.1. The loop remembers it, and the waiting
        // attempts, of which nothing was sent, go again at once on HTTP/1.1 connections.
        pool.speaksHttp1(endpoint);
        fail(FailureKind.PROTOCOL_ERROR, "upstream " + endpoint.address() + " chose " + alpn + " by ALPN", true);
        return;
      }
      connectFailed(FailureKind.PROTOCOL_ERROR, "upstream " + endpoint.address() + " did not choose h2 by ALPN (got "
          + (alpn == null ? "none" : alpn) + ")");
      return;
    }
    addHttp2(channel);
    connected();
  }

  private void connected() {
    if (closed || !channel.isActive()) return;
    ready = true;
    Http2FrameCodec fc = codec;
    if (fc != null) {
      try {
        var flow = fc.connection().local().flowController();
        flow.incrementWindowSize(fc.connection().connectionStream(),
            CONNECTION_WINDOW - flow.initialWindowSize(fc.connection().connectionStream()));
      } catch (io.netty.handler.codec.http2.Http2Exception e) {
        unexpected.record(UnexpectedErrors.Where.UPSTREAM, e);
      }
    }
    keepAlive = channel.eventLoop().scheduleAtFixedRate(this::keepAlive, pingIntervalNanos, pingIntervalNanos,
        TimeUnit.NANOSECONDS);
    List<H2UpstreamStream> w = new ArrayList<>(waiting);
    waiting.clear();
    for (H2UpstreamStream s : w) s.connectionReady(null, "", false);
  }

  private void connectFailed(FailureKind kind, String message) {
    fail(kind, message, false);
  }

  /** @param again the waiting attempts go again on a new connection (nothing of them was sent) */
  private void fail(FailureKind kind, String message, boolean again) {
    closed = true;
    pool.remove(endpoint, this);
    // Taken before the close, whose listener would fail them as a lost connection.
    List<H2UpstreamStream> w = new ArrayList<>(waiting);
    waiting.clear();
    streams -= w.size();
    channel.close();
    for (H2UpstreamStream s : w) s.connectionReady(kind, message, again);
  }

  /** Binds {@code s} to this connection: it opens its stream now, or when the connection is ready. */
  void add(H2UpstreamStream s) {
    streams++;
    if (ready) {
      s.connectionReady(null, "", false);
    } else {
      waiting.add(s);
    }
  }

  /** Opens the child channel of a stream. */
  Future<Http2StreamChannel> openChild(ChannelHandler handler) {
    return new Http2StreamChannelBootstrap(channel).handler(handler).open();
  }

  /** A stream bound to this connection ended (or never opened). */
  void streamEnded() {
    if (streams > 0) streams--;
    if (streams == 0) {
      idleSince = System.nanoTime();
      if (goAway) channel.close();
    }
  }

  /** Whether this connection takes another stream. */
  boolean hasRoom() {
    // The codec knows of a GOAWAY before this connection's handler sees the frame: it closes the
    // streams the GOAWAY refused first, and their retries must not come back here.
    Http2FrameCodec fc = codec;
    return !closed && !goAway && (fc == null || !fc.connection().goAwayReceived()) && streams < maxStreams();
  }

  private int maxStreams() {
    Http2FrameCodec fc = codec;
    if (!settingsReceived || fc == null) return STREAMS_BEFORE_SETTINGS;
    return fc.connection().local().maxActiveStreams();
  }

  /** Whether the server's GOAWAY said it will not process stream {@code id} (above its last stream id). */
  boolean refusedByGoAway(int id) {
    Http2FrameCodec fc = codec;
    return fc != null && fc.connection().goAwayReceived() && id > fc.connection().local().lastStreamKnownByPeer();
  }

  String scheme() {
    return scheme;
  }

  EventLoop eventLoop() {
    return channel.eventLoop();
  }

  /** Closes the connection once its streams have ended (its endpoint is gone). */
  void retire() {
    goAway = true;
    if (streams == 0) channel.close();
  }

  /** Closes it now if it has had no stream for longer than the pool's idle timeout. */
  boolean closeIfIdle(long now) {
    if (streams == 0 && now - idleSince >= idleTimeoutNanos) {
      channel.close();
      return true;
    }
    return false;
  }

  private void keepAlive() {
    if (closed) return;
    long now = System.nanoTime();
    if (pingSentAt != 0) {
      if (now - pingSentAt >= pingTimeoutNanos) channel.close();
      return;
    }
    if (streams != 0 || !ready) return;
    if (closeIfIdle(now)) return;
    pingSentAt = now;
    channel.writeAndFlush(new DefaultHttp2PingFrame(now), channel.voidPromise());
    channel.eventLoop().schedule(() -> {
      if (!closed && pingSentAt == now) channel.close();
    }, pingTimeoutNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof Http2SettingsFrame) {
        settingsReceived = true;
      } else if (msg instanceof Http2PingFrame p && p.ack()) {
        pingSentAt = 0;
      } else if (msg instanceof Http2GoAwayFrame) {
        goAway = true;
        pool.remove(endpoint, this);
        if (streams == 0) channel.close();
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof IOException) && !(cause instanceof io.netty.handler.codec.http2.Http2Exception)) {
      unexpected.record(UnexpectedErrors.Where.UPSTREAM, cause);
    }
    ctx.channel().close();
  }

  private void closed() {
    boolean wasReady = ready;
    closed = true;
    ready = false;
    ScheduledFuture<?> k = keepAlive;
    if (k != null) k.cancel(false);
    pool.remove(endpoint, this);
    endpoint.connectionClosed();
    // Later, not now: a failed connect closes the channel before its listener runs, and that
    // listener names the failure (connect failure, timeout, TLS); this catches any other close.
    channel.eventLoop().execute(() -> failWaiting(wasReady));
  }

  private void failWaiting(boolean wasReady) {
    if (waiting.isEmpty()) return;
    List<H2UpstreamStream> w = new ArrayList<>(waiting);
    waiting.clear();
    for (H2UpstreamStream s : w) {
      s.connectionReady(FailureKind.RESET, "upstream " + endpoint.address() + " closed the connection"
          + (wasReady ? "" : " before it was ready"), false);
    }
  }

  /** The gateway asks for no pushed streams (SETTINGS_ENABLE_PUSH 0); one that comes anyway is reset. */
  @ChannelHandler.Sharable
  private static final class RefusePush extends ChannelInboundHandlerAdapter {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      ctx.channel().close();
    }
  }
}
