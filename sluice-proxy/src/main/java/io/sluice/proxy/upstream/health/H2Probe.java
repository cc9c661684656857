package io.sluice.proxy.upstream.health;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
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
 * judges it and closes the connection. With a gRPC request, the stream is instead a unary
 * {@code grpc.health.v1.Health/Check} call, judged here: it passes when it ends with
 * {@code grpc-status: 0} and its answer says SERVING ({@link GrpcHealthMessages}).
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

    /** A gRPC check ended: whether the service is SERVING, and what was seen. */
    void grpc(boolean serving, String detail);
  }

  /** The most answer bytes a gRPC check reads (the answer is a few bytes). */
  private static final int MAX_GRPC_ANSWER = 1024;

  private final Result result;
  private final @Nullable Function<Channel, ChannelHandler> tls;
  private final String path;
  private final String authority;
  /** The framed HealthCheckRequest of a gRPC check, or null for a GET. */
  private final byte @Nullable [] grpcRequest;

  /** @param result told once (the checker ignores all but the first word of a check) */
  H2Probe(Result result, @Nullable Function<Channel, ChannelHandler> tls, String path,
      String authority) {
    this(result, tls, path, authority, null);
  }

  /** @param grpcRequest the framed HealthCheckRequest: the check is a gRPC health check call; null for a GET */
  H2Probe(Result result, @Nullable Function<Channel, ChannelHandler> tls, String path,
      String authority, byte @Nullable [] grpcRequest) {
    this.result = result;
    this.tls = tls;
    this.path = path;
    this.authority = authority;
    this.grpcRequest = grpcRequest;
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
        byte[] grpc = grpcRequest;
        if (grpc != null) {
          Http2Headers h = new DefaultHttp2Headers().method("POST").path(GrpcHealthMessages.PATH)
              .scheme(tls == null ? "http" : "https").authority(authority).add("content-type", "application/grpc")
              .add("te", "trailers").add("user-agent", "sluice-health-check");
          f.getNow().write(new DefaultHttp2HeadersFrame(h, false));
          f.getNow().writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(grpc), true));
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
    /** A gRPC check's answer so far: a plain array, so nothing needs releasing when the check is cut short. */
    private final byte[] answer = new byte[MAX_GRPC_ANSWER];
    private int answerLength;
    private boolean headSeen;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (grpcRequest != null) {
          grpcRead(msg);
        } else if (msg instanceof Http2HeadersFrame h) {
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

    /** A gRPC check: the head's :status, the answer's bytes, then grpc-status in the trailers (or a trailers-only head). */
    private void grpcRead(Object msg) {
      if (msg instanceof Http2HeadersFrame h) {
        if (!headSeen) {
          headSeen = true;
          CharSequence s = h.headers().status();
          if (s == null || !"200".contentEquals(s)) {
            result.grpc(false, "status " + s);
            return;
          }
        }
        CharSequence g = h.headers().get("grpc-status");
        if (g != null) {
          if (!"0".contentEquals(g)) {
            CharSequence m = h.headers().get("grpc-message");
            result.grpc(false, "grpc-status " + g + (m == null ? "" : " (" + m + ")"));
            return;
          }
          int serving = GrpcHealthMessages.servingStatus(Unpooled.wrappedBuffer(answer, 0, answerLength));
          result.grpc(serving == GrpcHealthMessages.SERVING, "serving status " + servingName(serving));
        } else if (h.isEndStream()) {
          result.grpc(false, "no grpc-status");
        }
      } else if (msg instanceof Http2DataFrame d) {
        ByteBuf content = d.content();
        int n = content.readableBytes();
        if (n > MAX_GRPC_ANSWER - answerLength) {
          result.grpc(false, "answer longer than " + MAX_GRPC_ANSWER + " bytes");
          return;
        }
        content.getBytes(content.readerIndex(), answer, answerLength, n);
        answerLength += n;
        if (d.isEndStream()) result.grpc(false, "no grpc-status");
      }
    }
  }

  private static String servingName(int status) {
    return switch (status) {
      case 0 -> "UNKNOWN";
      case 1 -> "SERVING";
      case 2 -> "NOT_SERVING";
      case 3 -> "SERVICE_UNKNOWN";
      case GrpcHealthMessages.MALFORMED -> "unreadable";
      default -> Integer.toString(status);
    };
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
