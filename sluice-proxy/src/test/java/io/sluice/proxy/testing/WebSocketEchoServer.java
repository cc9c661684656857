package io.sluice.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real WebSocket upstream for tests, on Netty's own WebSocket codec (so that the gateway's relay
 * is checked against an independent implementation): echoes text and binary messages (up to 32 MiB),
 * answers pings, echoes a close frame's code and reason, and obeys commands sent as text:
 * {@code close:CODE:REASON} (it closes first) and {@code flood:BYTES} (it sends that many bytes
 * in 64 KiB binary frames as fast as its socket takes them, counting what the socket took).
 * It records the head of every HTTP request it receives and the close frames it gets.
 */
public final class WebSocketEchoServer implements AutoCloseable {
  public static final int MAX_MESSAGE = 32 << 20;

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel server;
  private final List<Map<String, String>> handshakes = new CopyOnWriteArrayList<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final BlockingQueue<String> closes = new LinkedBlockingQueue<>();
  private final AtomicLong flooded = new AtomicLong();
  private final AtomicInteger open = new AtomicInteger();

  private WebSocketEchoServer() {
    server = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        // Without leak detection: under the tests' paranoid level every getLong of the decoder's
        // unmasking would record a stack trace (a 16 MiB message took seconds). The gateway's
        // buffers stay checked; this server's are not the subject of any test.
        .childOption(ChannelOption.ALLOCATOR, new UnpooledByteBufAllocator(false, true))
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536), new Recorder(),
                new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                    .websocketPath("/")
                    .checkStartsWith(true)
                    .handleCloseFrames(false)
                    .decoderConfig(WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(MAX_MESSAGE).build())
                    .build()),
                new WebSocketFrameAggregator(MAX_MESSAGE), new Echo());
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
  }

  public static WebSocketEchoServer start() {
    return new WebSocketEchoServer();
  }

  /** {@code 127.0.0.1:port}. */
  public String address() {
    return "127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** HTTP requests received (handshakes or not). */
  public int requests() {
    return requests.get();
  }

  /** The headers (lower-case names) of each request received, in order. */
  public List<Map<String, String>> handshakes() {
    return handshakes;
  }

  /** Close frames received, as {@code CODE:REASON}. */
  public BlockingQueue<String> closes() {
    return closes;
  }

  /** Bytes of {@code flood} frames the server's sockets took so far. */
  public long flooded() {
    return flooded.get();
  }

  /** WebSocket connections open now. */
  public int openConnections() {
    return open.get();
  }

  private final class Recorder extends SimpleChannelInboundHandler<FullHttpRequest> {
    Recorder() {
      super(false);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      requests.incrementAndGet();
      Map<String, String> h = new java.util.TreeMap<>();
      req.headers().forEach(e -> h.merge(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue(), (a, b) -> a + ", " + b));
      handshakes.add(h);
      ctx.fireChannelRead(req);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      open.incrementAndGet();
      ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      open.decrementAndGet();
      ctx.fireChannelInactive();
    }
  }

  private final class Echo extends SimpleChannelInboundHandler<WebSocketFrame> {
    private long floodLeft;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame f) {
      if (f instanceof CloseWebSocketFrame c) {
        closes.add(c.statusCode() + ":" + c.reasonText());
        ctx.writeAndFlush(new CloseWebSocketFrame(c.statusCode(), c.reasonText())).addListener(ChannelFutureListener.CLOSE);
      } else if (f instanceof TextWebSocketFrame t && t.text().startsWith("close:")) {
        String[] p = t.text().split(":", 3);
        ctx.writeAndFlush(new CloseWebSocketFrame(Integer.parseInt(p[1]), p[2]));
      } else if (f instanceof TextWebSocketFrame t && t.text().startsWith("flood:")) {
        floodLeft = Long.parseLong(t.text().substring(6));
        flood(ctx);
      } else {
        ctx.writeAndFlush(f.retain());
      }
    }

    private void flood(ChannelHandlerContext ctx) {
      while (floodLeft > 0 && ctx.channel().isWritable()) {
        int n = (int) Math.min(65536, floodLeft);
        floodLeft -= n;
        ByteBuf payload = Unpooled.buffer(n).writeZero(n);
        ctx.writeAndFlush(new BinaryWebSocketFrame(payload)).addListener(x -> {
          if (x.isSuccess()) flooded.addAndGet(n);
        });
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) flood(ctx);
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }
}
