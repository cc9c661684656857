package io.sluice.proxy.upstream.health;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One health check of an HTTP/2 upstream (h2 by ALPN over TLS, or h2c): a new connection, one
 * stream with {@code GET path} and END_STREAM, and the answer's {@code :status}; {@link HealthChecker}
 * judges it and closes the connection.
 *
 * <p>Threading: the checker's loop.
 */
final class H2Probe {
  /** What a check found. */
  interface Result {
    /** The response's status. */
    void status(int status);

    /** The check failed before a status arrived. */
    void failed(String detail);
  }

  private final Result result;
  private final @Nullable Function<Channel, ChannelHandler> tls;
  private final String path;
  private final String authority;

  /** @param result told once (the checker ignores all but the first word of a check) */
  H2Probe(Result result, @Nullable Function<Channel, ChannelHandler> tls, String path,
      String authority) {
    this.result = result;
    this.tls = tls;
    this.path = path;
    this.authority = authority;
  }

  ChannelHandler initializer() {
    return new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        if (tls != null) ch.pipeline().addLast(tls.apply(ch));
        ch.pipeline().addLast(
            Http2FrameCodecBuilder.forClient().initialSettings(Http2Settings.defaultSettings().pushEnabled(false)).build(),
            new Http2MultiplexHandler(new Refuse()), new Connection());
      }
    };
  }

  /** The connection: opens the check's stream once it is up, and fails the check if it closes first. */
  private final class Connection extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      Future<Http2StreamChannel> f = new Http2StreamChannelBootstrap(ctx.channel()).handler(new Stream()).open();
      f.addListener(x -> {
        if (!f.isSuccess()) {
          result.failed("cannot open a stream: " + f.cause().getMessage());
          return;
        }
        Http2Headers h = new DefaultHttp2Headers().method("GET").path(path).scheme(tls == null ? "http" : "https")
            .authority(authority).add("user-agent", "sluice-health-check").add("accept", "*/*");
        f.getNow().writeAndFlush(new DefaultHttp2HeadersFrame(h, true));
      });
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      result.failed("connection closed before a response");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      result.failed(cause.toString());
    }
  }

  private final class Stream extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame h) {
          CharSequence s = h.headers().status();
          int status;
          try {
            status = s == null ? -1 : Integer.parseInt(s.toString());
          } catch (NumberFormatException e) {
            status = -1;
          }
          if (status < 0) {
            result.failed("invalid response: no :status");
          } else if (status >= 200) {
            result.status(status);
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }
  }

  /** The check asks for no pushed streams; one that comes anyway is reset. */
  @ChannelHandler.Sharable
  private static final class Refuse extends ChannelInboundHandlerAdapter {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      ctx.channel().close();
    }
  }
}
