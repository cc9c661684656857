package io.sluice.proxy.upstream.health;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.api.upstream.HealthCheck;
import io.sluice.proxy.http1.HttpParseException;
import io.sluice.proxy.http1.ResponseHead;
import io.sluice.proxy.upstream.Endpoint;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The active health check of one endpoint, run on one event loop: every {@code interval} it opens
 * a connection, sends {@code GET path HTTP/1.1} with {@code Connection: close}, reads the status
 * line and closes; over TLS when the upstream uses TLS, with the same verification as its
 * requests (a certificate that does not verify fails the check). Connecting, sending and receiving the response head must take at most
 * {@code timeout}. {@code unhealthyThreshold} failures in a row take the endpoint out of rotation
 * ({@link Endpoint#HEALTH_CHECK}), {@code healthyThreshold} passes in a row bring it back; the
 * endpoint's flag is read by the balancers of every loop.
 *
 * <p>With {@code grpc}, a check is instead the gRPC health checking protocol's
 * {@code grpc.health.v1.Health/Check} call on a new HTTP/2 connection ({@link H2Probe}): SERVING
 * passes, anything else fails.
 *
 * <p>A new checker starts from the endpoint's current state, so a reload that changes the health
 * check settings keeps an unhealthy endpoint out until it passes. Checks do not count against the
 * upstream's connection limit.
 *
 * <p>Threading: {@link #start} and {@link #stop} may be called from any thread; everything else
 * runs on the checker's loop.
 */
public final class HealthChecker {
  private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);
  private static final int MAX_RESPONSE_HEAD = 64 * 1024;

  private final String upstream;
  private final HealthCheck spec;
  private final Endpoint endpoint;
  private final EventLoop loop;
  private final Class<? extends Channel> channelClass;
  private final @Nullable Function<Channel, ChannelHandler> tls;
  private final byte[] request;
  private final boolean http2;
  /** The framed request of a gRPC health check ({@code spec.grpc}), or null. */
  private final byte @Nullable [] grpcRequest;
  /** The Host (HTTP/2: {@code :authority}) the checks send. */
  private final String host;
  /** The path the checks GET. */
  private final String path;
  private final long intervalNanos;
  private final long timeoutNanos;
  private volatile boolean stopped;
  private @Nullable ScheduledFuture<?> next;
  private int passes;
  private int failures;

  /**
   * @param channelClass the client socket channel class of {@code loop}'s transport
   * @param tls makes the TLS handler of a check's connection (first in its pipeline; it holds the
   *     request until the handshake is done); null for plain TCP
   */
  public HealthChecker(String upstream, HealthCheck spec, Endpoint endpoint, EventLoop loop,
      Class<? extends Channel> channelClass, @Nullable Function<Channel, ChannelHandler> tls) {
    this(upstream, spec, endpoint, loop, channelClass, tls, false);
  }

  /**
   * @param http2 the upstream speaks HTTP/2 (h2 over {@code tls}, or h2c): each check is a stream
   *     with {@code GET path} on a new HTTP/2 connection, and the response's {@code :status} decides
   */
  public HealthChecker(String upstream, HealthCheck spec, Endpoint endpoint, EventLoop loop,
      Class<? extends Channel> channelClass, @Nullable Function<Channel, ChannelHandler> tls, boolean http2) {
    HealthCheck.Grpc grpc = spec.grpc();
    // A gRPC check is an HTTP/2 stream whatever the caller says; validation requires an h2/h2c upstream.
    this.http2 = http2 || grpc != null;
    this.grpcRequest = grpc == null ? null : GrpcHealthMessages.request(grpc.service() == null ? "" : grpc.service());
    this.upstream = upstream;
    this.spec = spec;
    this.endpoint = endpoint;
    this.loop = loop;
    this.channelClass = channelClass;
    this.tls = tls;
    this.intervalNanos = spec.interval().toNanos();
    this.timeoutNanos = spec.timeout().toNanos();
    String host = spec.host() != null ? spec.host() : endpoint.address();
    this.host = host;
    String p = spec.path();
    // Validation requires a path; "/" only keeps the compiler's null check satisfied.
    this.path = p == null ? "/" : p;
    this.request = ("GET " + spec.path() + " HTTP/1.1\r\nHost: " + host
        + "\r\nUser-Agent: sluice-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n")
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Schedules the first check at a random point of the first interval, so checks of many endpoints spread out. */
  public void start() {
    loop.execute(() -> {
      if (stopped) return;
      next = loop.schedule(this::check, ThreadLocalRandom.current().nextLong(Math.max(1, intervalNanos / 4)),
          TimeUnit.NANOSECONDS);
    });
  }

  /** Stops checking; a check in progress finishes without effect. The endpoint keeps its state. */
  public void stop() {
    stopped = true;
    loop.execute(() -> {
      if (next != null) next.cancel(false);
    });
  }

  private void check() {
    if (stopped) return;
    long started = System.nanoTime();
    Probe probe = new Probe(started);
    probe.timer = loop.schedule(() -> probe.finish(false, "timed out"), timeoutNanos, TimeUnit.NANOSECONDS);
    ChannelFuture f = new Bootstrap()
        .group(loop)
        .channel(channelClass)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)))
        .handler(http2 ? h2Probe(probe).initializer() : tls == null ? probe : withTls(tls, probe))
        .connect(endpoint.socketAddress());
    probe.channel = f.channel();
    if (probe.done) f.channel().close();
    f.addListener(x -> {
      if (!f.isSuccess()) probe.finish(false, "cannot connect: " + f.cause().getMessage());
    });
  }

  private H2Probe h2Probe(Probe probe) {
    return new H2Probe(new H2Probe.Result() {
      @Override
      public void status(int status) {
        probe.finish(spec.passes(status), "status " + status);
      }

      @Override
      public void failed(String detail) {
        probe.finish(false, detail);
      }

      @Override
      public void grpc(boolean serving, String detail) {
        probe.finish(serving, detail);
      }
    }, tls, path, host, grpcRequest);
  }

  private static ChannelHandler withTls(Function<Channel, ChannelHandler> tls, Probe probe) {
    return new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.pipeline().addLast(tls.apply(ch), probe);
      }
    };
  }

  private void result(boolean pass, long started, String detail) {
    if (stopped) return;
    if (pass) {
      failures = 0;
      passes++;
      if (endpoint.isOut(Endpoint.HEALTH_CHECK) && passes >= spec.healthyThreshold()) {
        endpoint.bringBack(Endpoint.HEALTH_CHECK);
        log.info("Upstream/{}: endpoint {} is healthy again after {} passed check(s)", upstream, endpoint.address(), passes);
      }
    } else {
      passes = 0;
      failures++;
      if (!endpoint.isOut(Endpoint.HEALTH_CHECK) && failures >= spec.unhealthyThreshold()) {
        endpoint.takeOut(Endpoint.HEALTH_CHECK);
        log.warn("Upstream/{}: endpoint {} is unhealthy after {} failed check(s), the last: {}", upstream,
            endpoint.address(), failures, detail);
      }
    }
    long wait = Math.max(0, started + intervalNanos - System.nanoTime());
    next = loop.schedule(this::check, wait, TimeUnit.NANOSECONDS);
  }

  /** One check's connection. */
  private final class Probe extends ChannelInboundHandlerAdapter {
    private final long started;
    private final ResponseHead head = new ResponseHead();
    private @Nullable Channel channel;
    private @Nullable ScheduledFuture<?> timer;
    private @Nullable ByteBuf cumulation;
    private boolean done;

    Probe(long started) {
      this.started = started;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      if (!http2) ctx.writeAndFlush(Unpooled.wrappedBuffer(request));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      if (done) {
        in.release();
        return;
      }
      ByteBuf c = cumulation;
      if (c == null) {
        cumulation = in;
      } else {
        ByteBuf merged = ctx.alloc().heapBuffer(c.readableBytes() + in.readableBytes());
        merged.writeBytes(c).writeBytes(in);
        c.release();
        in.release();
        cumulation = merged;
      }
      try {
        if (head.read(cumulation, MAX_RESPONSE_HEAD)) {
          int status = head.status();
          finish(spec.passes(status), "status " + status);
        }
      } catch (HttpParseException e) {
        finish(false, "invalid response: " + e.getMessage());
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      finish(false, "connection closed before a response");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      finish(false, cause.toString());
    }

    void finish(boolean pass, String detail) {
      if (done) return;
      done = true;
      ByteBuf c = cumulation;
      if (c != null) {
        cumulation = null;
        c.release();
      }
      if (timer != null) timer.cancel(false);
      if (channel != null) channel.close();
      result(pass, started, detail);
    }
  }
}
