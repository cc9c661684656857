package io.sluice.proxy.upstream.h2;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.ReferenceCountUtil;
import io.sluice.proxy.testing.TestCerts;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A real HTTP/2 server on 127.0.0.1 for the h2 upstream tests (Netty's frame codec; h2c with prior
 * knowledge, or h2 by ALPN over TLS): it records each request (head, body, trailers) and answers
 * what its {@link Handler} says, and counts connections, PINGs and resets.
 */
public final class H2TestUpstream implements AutoCloseable {
  /** A request as received. */
  public record Request(Http2Headers headers, String body, @Nullable Http2Headers trailers, int connection) {
    public @Nullable String header(String name) {
      CharSequence v = headers.get(name);
      return v == null ? null : v.toString();
    }
  }

  /**
   * An answer.
   *
   * @param trailers sent after the body as a HEADERS frame with END_STREAM; null: the body ends the stream
   * @param headersOnly the HEADERS frame ends the stream (no body, no trailers)
   */
  public record Response(int status, Map<String, String> headers, String body, @Nullable Map<String, String> trailers,
      boolean headersOnly) {
    public static Response of(int status, String body) {
      return new Response(status, Map.of(), body, null, false);
    }
  }

  @FunctionalInterface
  public interface Handler {
    /** Answers {@code r}; null: no answer at all (the stream stays open). */
    @Nullable Response handle(Request r);
  }

  /** Settings of the server. */
  public record Options(@Nullable Long maxConcurrentStreams, boolean ackPings, boolean goAwayOnFirstStream,
      TestCerts.@Nullable Issued tls) {
    public static final Options DEFAULT = new Options(null, true, false, null);
  }

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel server;
  private final Handler handler;
  private final Options options;
  private final BlockingQueue<Request> received = new LinkedBlockingQueue<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger openConnections = new AtomicInteger();
  private final AtomicInteger resets = new AtomicInteger();
  private final AtomicInteger pings = new AtomicInteger();

  private H2TestUpstream(Handler handler, Options options) throws Exception {
    this.handler = handler;
    this.options = options;
    SslContext ssl = options.tls() == null ? null : SslContextBuilder
        .forServer(options.tls().keys().getPrivate(), options.tls().cert())
        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2))
        .build();
    server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            int id = connections.incrementAndGet();
            openConnections.incrementAndGet();
            ch.closeFuture().addListener(f -> openConnections.decrementAndGet());
            if (ssl != null) ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
            Http2Settings s = Http2Settings.defaultSettings();
            if (options.maxConcurrentStreams() != null) s.maxConcurrentStreams(options.maxConcurrentStreams());
            ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().initialSettings(s).autoAckPingFrame(options.ackPings()).build(),
                new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                  @Override
                  protected void initChannel(Http2StreamChannel stream) {
                    stream.pipeline().addLast(new StreamHandler(id));
                  }
                }),
                new ChannelInboundHandlerAdapter() {
                  @Override
                  public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    if (msg instanceof Http2PingFrame p && !p.ack()) pings.incrementAndGet();
                    ReferenceCountUtil.release(msg);
                  }
                });
          }
        })
        .bind("127.0.0.1", 0).sync().channel();
  }

  public static H2TestUpstream start(Handler handler) throws Exception {
    return new H2TestUpstream(handler, Options.DEFAULT);
  }

  public static H2TestUpstream start(Handler handler, Options options) throws Exception {
    return new H2TestUpstream(handler, options);
  }

  public String address() {
    return "127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
  }

  public Request take() throws InterruptedException {
    Request r = received.poll(10, TimeUnit.SECONDS);
    if (r == null) throw new AssertionError("no request reached the h2 upstream within 10s");
    return r;
  }

  public BlockingQueue<Request> received() {
    return received;
  }

  public int connections() {
    return connections.get();
  }

  public int openConnections() {
    return openConnections.get();
  }

  /** RST_STREAM frames received from the gateway. */
  public int resets() {
    return resets.get();
  }

  /** PINGs (not acks) received from the gateway. */
  public int pings() {
    return pings.get();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class StreamHandler extends ChannelInboundHandlerAdapter {
    private final int connection;
    private @Nullable Http2Headers headers;
    private @Nullable Http2Headers trailers;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    StreamHandler(int connection) {
      this.connection = connection;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof Http2ResetFrame) resets.incrementAndGet();
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      boolean end = false;
      try {
        if (msg instanceof Http2HeadersFrame h) {
          if (headers == null) {
            headers = h.headers();
            if (options.goAwayOnFirstStream() && connection == 1) {
              // Refuses every stream of the first connection: the gateway must go again on a new one.
              // GOAWAY with last stream id 0, written past the codec (which would name the stream it
              // just created): this stream was not processed.
              byte[] goAway = {0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
              // Closed a moment later, as a server lingers after its GOAWAY: closed at once with the
              // gateway's later frames unread, the kernel resets the connection, and a reset may
              // discard the GOAWAY before the gateway reads it.
              Channel parent = ctx.channel().parent();
              parent.pipeline().firstContext().writeAndFlush(Unpooled.wrappedBuffer(goAway))
                  .addListener(f -> parent.eventLoop().schedule(() -> parent.close(), 200, TimeUnit.MILLISECONDS));
              return;
            }
          } else {
            trailers = h.headers();
          }
          end = h.isEndStream();
        } else if (msg instanceof Http2DataFrame d) {
          ByteBuf c = d.content();
          byte[] b = new byte[c.readableBytes()];
          c.readBytes(b);
          body.writeBytes(b);
          end = d.isEndStream();
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
      if (!end) return;
      Request r = new Request(headers, body.toString(StandardCharsets.UTF_8), trailers, connection);
      received.add(r);
      Response resp = handler.handle(r);
      if (resp == null) return;
      Http2Headers out = new DefaultHttp2Headers().status(Integer.toString(resp.status()));
      resp.headers().forEach((k, v) -> out.add(k.toLowerCase(java.util.Locale.ROOT), v));
      if (resp.headersOnly()) {
        ctx.writeAndFlush(new DefaultHttp2HeadersFrame(out, true));
        return;
      }
      ctx.write(new DefaultHttp2HeadersFrame(out, false));
      byte[] bytes = resp.body().getBytes(StandardCharsets.UTF_8);
      Map<String, String> t = resp.trailers();
      ctx.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(bytes), t == null));
      if (t != null) {
        Http2Headers th = new DefaultHttp2Headers();
        new LinkedHashMap<>(t).forEach(th::add);
        ctx.write(new DefaultHttp2HeadersFrame(th, true));
      }
      ctx.flush();
    }
  }
}
