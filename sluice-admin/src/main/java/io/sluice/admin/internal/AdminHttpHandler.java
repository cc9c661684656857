package io.sluice.admin.internal;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.sluice.admin.AdminToken;
import io.sluice.api.ConfigException;
import io.sluice.store.StoreConflictException;
import io.sluice.store.StoreException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One admin connection. Requests arrive whole (see {@link BodyLimit}); each is copied off Netty's
 * buffers on the event loop and handled on the executor (virtual threads), since handlers block on
 * the store. Requests of one connection are handled one after the other, so pipelined responses go
 * out in request order; while too many are queued the connection stops reading.
 *
 * <p>Order of checks: where the request comes from ({@link BrowserGuard}: Host, Origin,
 * Sec-Fetch-Site; 403), authentication (401), route (404, 405), body type of a POST, PUT or PATCH
 * (403), query parameters (400), role (403), then the handler. The first two also run on a request
 * head that expects {@code 100 Continue}, before the body is invited ({@link BodyLimit}).
 */
public final class AdminHttpHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(AdminHttpHandler.class);
  /** Queued requests beyond which the connection stops reading until the queue drains. */
  private static final int MAX_QUEUED = 8;

  private final RouteTable routes;
  private final BrowserGuard guard;
  private final Authenticator authenticator;
  private final Executor executor;
  private final @Nullable Mount mount;
  /** Event loop only. */
  private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
  /** Event loop only. */
  private int queued;
  /**
   * Event loop only: a response that closes the connection is queued, so requests pipelined after
   * it are dropped unhandled (a client that asked to close never reads their answers).
   */
  private boolean closing;

  /**
   * The aggregator that goes before this handler: whole requests up to {@code maxBytes}, 413 beyond;
   * a head expecting {@code 100 Continue} that {@code guard} or {@code authenticator} refuses is
   * answered without inviting its body.
   */
  public static io.netty.channel.ChannelHandler bodyLimit(int maxBytes, BrowserGuard guard, Authenticator authenticator) {
    return new BodyLimit(maxBytes, guard, authenticator);
  }

  /**
   * Paths served by something other than the API's route table (the web console), which does its
   * own admission: the browser rules and authentication, except for its login page.
   */
  public interface Mount {
    boolean owns(String path);

    /** Answers a request whose path it owns; runs on a request thread. */
    ApiResponse handle(HttpMethod method, QueryStringDecoder uri, HttpHeaders headers, byte[] body, InetSocketAddress local);
  }

  public AdminHttpHandler(RouteTable routes, BrowserGuard guard, Authenticator authenticator, Executor executor) {
    this(routes, guard, authenticator, executor, null);
  }

  /** @param mount paths served outside the route table (the web console); null: none */
  public AdminHttpHandler(RouteTable routes, BrowserGuard guard, Authenticator authenticator, Executor executor,
      @Nullable Mount mount) {
    this.mount = mount;
    this.routes = routes;
    this.guard = guard;
    this.authenticator = authenticator;
    this.executor = executor;
  }

  /** A request copied off its buffers. */
  private record Copied(HttpMethod method, String uri, HttpHeaders headers, byte[] body, InetSocketAddress local) {}

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof BodyLimit.TooLarge t) {
      enqueue(ctx, () -> error(ApiError.tooLarge(t.limit())), !t.close());
      return;
    }
    if (msg instanceof BodyLimit.Refused r) {
      // The body was not invited and may still come: close after the answer rather than read it as a request.
      enqueue(ctx, () -> error(r.error()), false);
      return;
    }
    if (!(msg instanceof FullHttpRequest req)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    try {
      DecoderResult result = req.decoderResult();
      if (result.isFailure()) {
        String why = result.cause() instanceof TooLongFrameException t ? t.getMessage() : String.valueOf(result.cause().getMessage());
        // After a framing error nothing later on the connection can be trusted: answer and close.
        enqueue(ctx, () -> error(ApiError.badRequest("malformed HTTP request: " + why)), false);
        return;
      }
      Copied c = new Copied(req.method(), req.uri(), req.headers().copy(), ByteBufUtil.getBytes(req.content()),
          (InetSocketAddress) ctx.channel().localAddress());
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      enqueue(ctx, () -> handle(c), keepAlive);
    } finally {
      req.release();
    }
  }

  private interface Work {
    ApiResponse run();
  }

  private void enqueue(ChannelHandlerContext ctx, Work work, boolean keepAlive) {
    if (!keepAlive) closing = true;
    if (++queued >= MAX_QUEUED) ctx.channel().config().setAutoRead(false);
    tail = tail.thenRunAsync(() -> {
      ApiResponse response;
      try {
        response = work.run();
      } catch (RuntimeException e) {
        LOG.error("admin API failure", e);
        response = error(ApiError.internal("internal error: " + e));
      }
      write(ctx, response, keepAlive);
    }, executor).exceptionally(e -> {
      // The executor is shut down (the server is closing): drop the connection.
      if (!(e.getCause() instanceof RejectedExecutionException)) LOG.error("admin API failure", e);
      ctx.close();
      return null;
    }).whenComplete((v, e) -> ctx.executor().execute(() -> {
      if (--queued < MAX_QUEUED && !ctx.channel().config().isAutoRead()) ctx.channel().config().setAutoRead(true);
    }));
  }

  private static void write(ChannelHandlerContext ctx, ApiResponse r, boolean keepAlive) {
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(), Unpooled.wrappedBuffer(r.body()));
    HttpHeaders h = res.headers();
    h.set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
    h.setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
    h.set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    r.headers().forEach(h::set);
    if (keepAlive) {
      ctx.writeAndFlush(res);
    } else {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private ApiResponse handle(Copied c) {
    try {
      QueryStringDecoder qs = new QueryStringDecoder(c.uri());
      String path = qs.path();
      if (mount != null && mount.owns(path)) return mount.handle(c.method(), qs, c.headers(), c.body(), c.local());
      Principal who = admit(guard, authenticator, c.method(), c.headers(), c.local());
      return switch (routes.match(c.method(), path)) {
        case RouteTable.Found f -> dispatch(f, c, path, qs.parameters(), who);
        case RouteTable.WrongMethod w -> error(ApiError.methodNotAllowed(c.method().name(), path, w.allowed()));
        case RouteTable.NoRoute n -> error(ApiError.notFound("no such path: " + path));
      };
    } catch (ApiError e) {
      return error(e);
    }
  }

  /**
   * Who sent a request, once its origin passed the browser rules.
   *
   * @throws ApiError 403 from {@code guard}, 401 from {@code authenticator}
   */
  static Principal admit(BrowserGuard guard, Authenticator authenticator, HttpMethod method, HttpHeaders headers,
      InetSocketAddress local) {
    guard.checkSource(headers, local);
    return authenticator.authenticate(method, headers);
  }

  private ApiResponse dispatch(RouteTable.Found f, Copied c, String path, Map<String, List<String>> params, Principal who) {
    guard.checkContentType(c.method(), path, c.headers());
    Map<String, String> query = query(f.route(), params);
    AdminToken.Role needed = f.route().role().apply(query);
    if (!who.may(needed)) {
      throw ApiError.forbidden("token '" + who.name() + "' has " + who.describeRoles() + "; "
          + c.method() + " " + path + " needs " + needed.displayName()
          + (acceptsDryRun(f.route()) ? " (a viewer may send dryRun=true)" : ""));
    }
    ApiRequest request = new ApiRequest(c.method(), path, f.pathParameters(), query, c.headers(), c.body(), who);
    try {
      return f.route().handler().handle(request);
    } catch (ApiError e) {
      throw e;
    } catch (io.sluice.admin.CanaryControl.Refused e) {
      throw ApiError.canary(e);
    } catch (ConfigException e) {
      throw ApiError.invalid(e.errors());
    } catch (StoreConflictException e) {
      throw ApiError.conflict(e);
    } catch (StoreException e) {
      LOG.warn("the store failed during {} {}: {}", c.method(), path, e.toString());
      throw ApiError.unavailable("the configuration store is unavailable: " + e.getMessage());
    } catch (Exception e) {
      LOG.error("admin API failure on {} {}", c.method(), path, e);
      throw ApiError.internal("internal error while handling " + c.method() + " " + path + ": " + e);
    }
  }

  private static boolean acceptsDryRun(RouteTable.Route r) {
    return r.queryParameters() != null && r.queryParameters().contains("dryRun");
  }

  /** Single-valued query parameters the route accepts; anything else is a 400 naming it. */
  private static Map<String, String> query(RouteTable.Route route, Map<String, List<String>> params) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : params.entrySet()) {
      if (route.queryParameters() != null && !route.queryParameters().contains(e.getKey())) {
        throw ApiError.badRequest("unknown query parameter '" + e.getKey() + "'; " + route.method() + " " + route.template()
            + (route.queryParameters().isEmpty() ? " takes none" : " takes " + String.join(", ", new TreeSet<>(route.queryParameters()))));
      }
      if (e.getValue().size() > 1) throw ApiError.badRequest("query parameter '" + e.getKey() + "' is given more than once");
      out.put(e.getKey(), e.getValue().getFirst());
    }
    return out;
  }

  static ApiResponse error(ApiError e) {
    return new ApiResponse(e.status(), Wire.JSON_TYPE, Wire.errorBody(e), e.headers());
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      ctx.close();
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Connection resets and the like: nothing to answer.
    LOG.debug("admin connection {} failed", ctx.channel().remoteAddress(), cause);
    ctx.close();
  }
}
