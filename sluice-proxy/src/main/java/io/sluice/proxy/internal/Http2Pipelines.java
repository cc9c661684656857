package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.sluice.api.listener.ListenerSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Which protocol a new client connection speaks, and the pipeline that serves HTTP/2: Netty's
 * {@link Http2FrameCodec} with the listener's settings and protections, an {@link
 * Http2MultiplexHandler} whose stream channels each run an {@link Http2StreamDownstream}, and the
 * {@link Http2Connection}. Every connection starts with the HTTP/1.1 {@link DownstreamHandler}
 * (which counts it and runs its timers); on a listener that serves HTTP/2 a detector goes in front
 * of it: on TLS, ALPN decides after the handshake; on plain TCP the first bytes do (the HTTP/2
 * connection preface, {@code PRI * HTTP/2.0}, means h2c with prior knowledge, anything else
 * HTTP/1.1, as Envoy's {@code AUTO} codec does; a first request asking for {@code Upgrade: h2c} is
 * upgraded by {@link H2cUpgrade}). When HTTP/2 is chosen the HTTP/1.1 handler hands
 * the connection over ({@link DownstreamHandler#handOver}); otherwise the detector leaves and
 * HTTP/1.1 goes on as before. A listener without HTTP/2 gets no detector at all.
 *
 * <p>Why child channels ({@code Http2MultiplexHandler}) rather than one handler with a frame
 * listener: each stream gets its own auto-read and writability, which are exactly the two switches
 * the exchange's back-pressure already works with on HTTP/1.1 (a paused stream keeps its DATA
 * unread and its window closed; a stream whose window is closed is not writable), so a stream is a
 * {@link Downstream} like a connection, and flow control needs no code of its own.
 *
 * <p>Threading: a connection's event loop.
 */
final class Http2Pipelines {
  private Http2Pipelines() {}

  /** The ALPN protocol ids a TLS listener serving {@code protocols} offers, in its order of preference. */
  static List<String> alpn(List<String> protocols) {
    List<String> ids = new ArrayList<>(2);
    for (String p : protocols) {
      if (p.equals(ListenerSpec.H2)) ids.add(ApplicationProtocolNames.HTTP_2);
      if (p.equals(ListenerSpec.HTTP1)) ids.add(ApplicationProtocolNames.HTTP_1_1);
    }
    return List.copyOf(ids);
  }

  /**
   * The handler that tells HTTP/2 connections on {@code runtime} from HTTP/1.1 ones, to go in front
   * of the {@link DownstreamHandler} (after TLS when the listener has TLS); null when the listener
   * serves no HTTP/2, so its connections cost what they did before.
   */
  static @Nullable ChannelHandler detector(ListenerRuntime runtime, @Nullable ListenerConfig c) {
    if (c == null || !c.http2) return null;
    if (c.tls != null) return new AlpnHandoff(runtime, c);
    return new PrefaceSniffer(runtime, c);
  }

  /**
   * Serves the connection of {@code ctx} as HTTP/2, in place of the HTTP/1.1 handler after {@code
   * ctx}, which has counted the connection and leaves it as it was (no request read yet).
   */
  private static void switchToHttp2(ChannelHandlerContext ctx, ListenerRuntime runtime, ListenerConfig c) {
    if (!handOver(ctx)) return;
    Handlers h = handlers(runtime, c);
    String name = ctx.name();
    ctx.pipeline().addAfter(name, "h2", h.codec());
    ctx.pipeline().addAfter("h2", "h2-streams", h.streams());
    ctx.pipeline().addAfter("h2-streams", "h2-connection", h.connection());
  }

  /**
   * Takes the connection from the HTTP/1.1 handler (see {@link DownstreamHandler#handOver}); false
   * when there is none because it refused the connection (the listener's connection limit), which
   * is then closing.
   */
  static boolean handOver(ChannelHandlerContext ctx) {
    DownstreamHandler http1 = ctx.pipeline().get(DownstreamHandler.class);
    if (http1 == null) {
      ctx.close();
      return false;
    }
    http1.handOver();
    return true;
  }

  /** The handlers of an HTTP/2 connection, in their pipeline order. */
  record Handlers(Http2FrameCodec codec, Http2MultiplexHandler streams, Http2Connection connection) {}

  /** New handlers for an HTTP/2 connection on {@code runtime}, with the listener's settings and protections. */
  static Handlers handlers(ListenerRuntime runtime, ListenerConfig c) {
    ListenerSpec.Http2 s = c.http2Settings;
    int window = (int) s.initialWindowSize().bytes();
    Http2Settings settings = new Http2Settings()
        .maxConcurrentStreams(s.maxConcurrentStreams())
        .maxHeaderListSize(s.maxHeaderListSize().bytes())
        .initialWindowSize(window)
        .maxFrameSize((int) s.maxFrameSize().bytes());
    Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
        .initialSettings(settings)
        .validateHeaders(true)
        // Rapid reset (CVE-2023-44487): more resets than this in the window is an attack: GOAWAY and close.
        .decoderEnforceMaxRstFramesPerWindow(s.maxResets(), (int) Math.max(1, s.resetWindow().toSeconds()))
        // SETTINGS and PING floods: acknowledgements queued for a client that does not read them.
        .encoderEnforceMaxQueuedControlFrames(s.maxQueuedControlFrames())
        .gracefulShutdownTimeoutMillis(c.spec.timeouts().drain().toMillis())
        .build();
    long all = (long) window * s.maxConcurrentStreams();
    Http2Connection connection = new Http2Connection(runtime, codec, (int) Math.min(Integer.MAX_VALUE, Math.max(all, 65_535)));
    Http2MultiplexHandler streams = new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
      @Override
      protected void initChannel(Http2StreamChannel stream) {
        stream.pipeline().addLast(new Http2StreamDownstream(runtime, connection));
      }
    });
    return new Handlers(codec, streams, connection);
  }

  /** TLS: serves HTTP/2 when ALPN chose {@code h2}; HTTP/1.1 (the handler already there) otherwise, or when the client asked for nothing. */
  private static final class AlpnHandoff extends ApplicationProtocolNegotiationHandler {
    private final ListenerRuntime runtime;
    private final ListenerConfig config;

    AlpnHandoff(ListenerRuntime runtime, ListenerConfig config) {
      super(config.http1 ? ApplicationProtocolNames.HTTP_1_1 : ApplicationProtocolNames.HTTP_2);
      this.runtime = runtime;
      this.config = config;
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
      // A client's broken TLS: TlsFailures has seen it (logged at DEBUG); no warning per connection here.
      ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // The HTTP/1.1 handler after this one judges exceptions, as on any connection.
      ctx.fireExceptionCaught(cause);
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
      if (protocol.equals(ApplicationProtocolNames.HTTP_2) && config.http2) {
        switchToHttp2(ctx, runtime, config);
      } else if (!protocol.equals(ApplicationProtocolNames.HTTP_1_1) || !config.http1) {
        ctx.close();
      }
    }
  }

  /**
   * Plain TCP: the first bytes tell h2c (the connection preface) from HTTP/1.1. Until they do, the
   * HTTP/1.1 handler's timers run as for any new connection (a client that sends nothing is closed
   * after the idle timeout).
   */
  private static final class PrefaceSniffer extends ByteToMessageDecoder {
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private final ListenerRuntime runtime;
    private final ListenerConfig config;

    PrefaceSniffer(ListenerRuntime runtime, ListenerConfig config) {
      this.runtime = runtime;
      this.config = config;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      int n = Math.min(in.readableBytes(), PREFACE.length);
      int at = in.readerIndex();
      boolean preface = true;
      for (int i = 0; i < n && preface; i++) preface = in.getByte(at + i) == PREFACE[i];
      if (preface && n < PREFACE.length) return;
      if (preface) {
        switchToHttp2(ctx, runtime, config);
      } else if (config.http1) {
        if (H2cUpgrade.decide(in, config) == H2cUpgrade.Verdict.UPGRADE) H2cUpgrade.install(ctx, runtime, config, in);
      } else {
        in.skipBytes(in.readableBytes());
        ctx.close();
        return;
      }
      // Removing the decoder hands what it buffered to the protocol's handler.
      ctx.pipeline().remove(this);
    }
  }
}
