package io.sluice.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.sluice.admin.internal.AdminApi;
import io.sluice.admin.internal.AdminHttpHandler;
import io.sluice.admin.internal.Authenticator;
import io.sluice.admin.internal.BrowserGuard;
import io.sluice.admin.internal.RouteTable;
import io.sluice.admin.internal.console.ConsoleHandler;
import io.sluice.admin.internal.console.ConsoleSessions;
import io.sluice.store.ConfigStore;
import io.sluice.store.Membership;
import io.sluice.store.NodeRecord;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The admin API's HTTP listener (contract: {@code GET /api/v1/openapi.json}; default
 * {@code 127.0.0.1:9900}). It reads and writes the {@link ConfigStore}; it never talks to the data
 * plane, which follows the store by watching it.
 *
 * <pre>{@code
 * AdminServer admin = AdminServer.builder()
 *     .address(new InetSocketAddress("127.0.0.1", 9900))
 *     .store(store)
 *     .tokens(AdminTokens.load(tokensFile))          // optional on loopback
 *     .nodeStatus(() -> new NodeStatus(...))
 *     .routeTester(request -> ...)
 *     .stats(gateway::stats)
 *     .endpoint("/metrics", registry::scrape)        // optional
 *     .build();
 * admin.start();
 * ...
 * admin.close();
 * }</pre>
 *
 * <p>Netty with one event loop thread of its own; every request is handled on a virtual thread,
 * because handlers block on the store. Requests on one connection are answered in order.
 *
 * <p>Security: with no tokens every request acts as the editor {@code local}, which
 * {@link #start()} allows only on a loopback address. With tokens every request needs
 * {@code Authorization: Bearer <token>}, on loopback too. Before that, requests a web page could
 * make a browser send are refused (403): a {@code Host} that is not a loopback name, the
 * listener's address or an allowed host (on loopback, or anywhere once hosts are allowed), an
 * {@code Origin} other than the API's own or an allowed one, {@code Sec-Fetch-Site: cross-site} or
 * {@code same-site}, and a POST, PUT or PATCH without a JSON or YAML {@code Content-Type}
 * ({@link Builder#access(AdminAccess)}; docs/security.md).
 *
 * <p>Thread-safe. {@link #start()} once; {@link #close()} any number of times. The store is the
 * caller's: closing the server does not close it.
 */
public final class AdminServer implements AutoCloseable {
  /** Larger request bodies are refused with 413. */
  public static final int MAX_BODY_BYTES = 16 * 1024 * 1024;
  public static final InetSocketAddress DEFAULT_ADDRESS = new InetSocketAddress("127.0.0.1", 9900);
  private static final Duration IDLE_TIMEOUT = Duration.ofMinutes(2);
  private static final int CLOSE_WAIT_SECONDS = 10;
  private static final Pattern ENDPOINT_PATH = Pattern.compile("(/[A-Za-z0-9._~-]+)+");

  private final InetSocketAddress address;
  private final ConfigStore store;
  private final List<AdminToken> tokens;
  private final RouteTable routes;
  private final Authenticator authenticator;
  private final BrowserGuard guard;
  private final ConsoleHandler console;
  private final Object lock = new Object();
  private @Nullable EventLoopGroup group;
  private @Nullable ExecutorService executor;
  private @Nullable Channel serverChannel;
  private @Nullable ChannelGroup connections;
  private boolean started;
  private boolean closed;

  private AdminServer(Builder b) {
    this.address = b.address;
    this.store = Objects.requireNonNull(b.store, "store: AdminServer.builder().store(...) is required");
    this.tokens = List.copyOf(b.tokens);
    Supplier<NodeStatus> status = Objects.requireNonNull(b.nodeStatus, "nodeStatus: AdminServer.builder().nodeStatus(...) is required");
    RouteTester tester = Objects.requireNonNull(b.routeTester, "routeTester: AdminServer.builder().routeTester(...) is required");
    Supplier<?> stats = Objects.requireNonNull(b.stats, "stats: AdminServer.builder().stats(...) is required");
    this.routes = AdminApi.routes(store, status, tester, stats, b.clock, b.endpoints, b.configDir, b.nodes, b.writeRefusal, b.canary,
        b.changeReview, b.events, b.deliveries, b.redeliver);
    boolean loopback = !address.isUnresolved() && address.getAddress().isLoopbackAddress();
    ConsoleSessions sessions = new ConsoleSessions(b.clock);
    this.authenticator = new Authenticator(tokens, sessions::authenticate);
    this.guard = new BrowserGuard(b.access, loopback);
    // Off loopback browsers reach the admin API through a TLS-terminating proxy (docs/security.md).
    this.console = new ConsoleHandler(store, guard, authenticator, sessions, !loopback, b.changeReview);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds the address and starts serving.
   *
   * @throws IllegalStateException when the address is not a loopback address and no tokens are
   *     configured (nothing is bound then), or when the server was started or closed before
   * @throws IOException when the address cannot be bound; the message names it
   */
  public void start() throws IOException {
    synchronized (lock) {
      if (started || closed) throw new IllegalStateException("the admin server on " + describe(address) + " was already started");
      if (address.isUnresolved()) {
        throw new IOException("cannot bind the admin API to " + address.getHostString() + ":" + address.getPort() + ": unknown host");
      }
      if (!address.getAddress().isLoopbackAddress() && authenticator.open()) {
        throw new IllegalStateException("refusing to serve the admin API on " + describe(address)
            + " without tokens: anyone who can reach it could change the configuration. Bind a loopback address "
            + "(127.0.0.1) or give --admin-tokens FILE");
      }
      started = true;
      // The data plane comes first (docs/architecture.md): the admin API runs at the lowest
      // priority, so it cannot take an event loop's core; platform threads, since a virtual
      // thread's priority is always normal.
      EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1,
          new DefaultThreadFactory("sluice-admin", true, Thread.MIN_PRIORITY), NioIoHandler.newFactory());
      ExecutorService handlers = Executors.newThreadPerTaskExecutor(
          Thread.ofPlatform().daemon().priority(Thread.MIN_PRIORITY).name("sluice-admin-request-", 0).factory());
      ChannelGroup open = new DefaultChannelGroup("sluice-admin", GlobalEventExecutor.INSTANCE);
      ServerBootstrap b = new ServerBootstrap()
          .group(loop)
          .channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              open.add(ch);
              ch.pipeline()
                  .addLast(new IdleStateHandler(0, 0, IDLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                  .addLast(new HttpServerCodec())
                  .addLast(AdminHttpHandler.bodyLimit(MAX_BODY_BYTES, guard, authenticator))
                  .addLast(new AdminHttpHandler(routes, guard, authenticator, handlers, console));
            }
          });
      try {
        serverChannel = b.bind(address).syncUninterruptibly().channel();
      } catch (Exception e) {
        loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        handlers.close();
        throw new IOException("cannot bind the admin API to " + describe(address) + ": " + e.getMessage(), e);
      }
      group = loop;
      executor = handlers;
      connections = open;
    }
  }

  /** The address the server is bound to (with the real port when it was given as 0). */
  public InetSocketAddress boundAddress() {
    synchronized (lock) {
      if (serverChannel == null) throw new IllegalStateException("the admin server is not started");
      return (InetSocketAddress) serverChannel.localAddress();
    }
  }

  /**
   * Stops listening, closes every connection, lets requests being handled finish (up to
   * 10 seconds, so that the store can be closed right after) and waits
   * for the event loop to end.
   */
  @Override
  public void close() {
    EventLoopGroup g;
    ExecutorService x;
    synchronized (lock) {
      if (closed) return;
      closed = true;
      if (serverChannel != null) serverChannel.close().syncUninterruptibly();
      if (connections != null) connections.close().syncUninterruptibly();
      g = group;
      x = executor;
    }
    if (x != null) {
      x.shutdown();
      try {
        if (!x.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) x.shutdownNow();
      } catch (InterruptedException e) {
        x.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    if (g != null) g.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Every route: {@code METHOD /path/template}, for the OpenAPI consistency test. */
  List<RouteTable.Route> routes() {
    return routes.routes();
  }

  private static String describe(InetSocketAddress a) {
    String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /** Not thread-safe. */
  public static final class Builder {
    private InetSocketAddress address = DEFAULT_ADDRESS;
    private @Nullable ConfigStore store;
    private List<AdminToken> tokens = List.of();
    private AdminAccess access = AdminAccess.DEFAULT;
    private @Nullable Supplier<NodeStatus> nodeStatus;
    private @Nullable RouteTester routeTester;
    private @Nullable Supplier<?> stats;
    private final Map<String, AdminEndpoint> endpoints = new LinkedHashMap<>();
    private Clock clock = Clock.systemUTC();
    private @Nullable String configDir;
    private @Nullable Supplier<List<NodeRecord>> nodes;
    private @Nullable Supplier<String> writeRefusal;
    private @Nullable CanaryControl canary;
    private ChangeReview changeReview = ChangeReview.OFF;
    private AdminEvents events = AdminEvents.NONE;
    private java.util.function.Function<Boolean, List<WebhookDelivery>> deliveries = failedOnly -> List.of();
    private java.util.function.Function<String, @Nullable WebhookDelivery> redeliver = id -> null;

    private Builder() {}

    /**
     * The fleet {@code GET /api/v1/nodes} lists: {@code membership}'s nodes, read for each request.
     * Default: this node alone, from its {@link #nodeStatus}.
     */
    public Builder membership(Membership membership) {
      Objects.requireNonNull(membership, "membership");
      this.nodes = membership::nodes;
      return this;
    }

    /**
     * The fleet's config canary ({@code POST /api/v1/apply?canary=...}, {@code /api/v1/canary}); while one runs,
     * other writes are refused unless forced. Default: none, and canary requests answer 409 {@code no_fleet}.
     */
    public Builder canary(CanaryControl canary) {
      this.canary = Objects.requireNonNull(canary, "canary");
      return this;
    }

    /** The change workflow's settings (README "Review changes"). Default: {@link ChangeReview#OFF}. */
    public Builder changeReview(ChangeReview changeReview) {
      this.changeReview = Objects.requireNonNull(changeReview, "changeReview");
      return this;
    }

    /**
     * What {@code GET /api/v1/webhooks/deliveries} lists: the recent webhook deliveries, oldest first,
     * or only the dead letters when given true. Default: none.
     */
    public Builder webhookDeliveries(java.util.function.Function<Boolean, List<WebhookDelivery>> deliveries) {
      this.deliveries = Objects.requireNonNull(deliveries, "deliveries");
      return this;
    }

    /**
     * What {@code POST /api/v1/webhooks/deliveries/redeliver} does with a dead letter's id: sends it
     * again (as it was, with a new signature) and returns it as it is now (pending), or null when no
     * dead letter has that id. Default: none has.
     */
    public Builder webhookRedelivery(java.util.function.Function<String, @Nullable WebhookDelivery> redeliver) {
      this.redeliver = Objects.requireNonNull(redeliver, "redeliver");
      return this;
    }

    /** Where the change workflow's events go (webhooks). Default: {@link AdminEvents#NONE}. */
    public Builder events(AdminEvents events) {
      this.events = Objects.requireNonNull(events, "events");
      return this;
    }

    /**
     * Makes this a node that takes no writes (a data-plane node): every request that would write
     * answers 403 with reason {@code read_only_node} and the message {@code why} returns (called for
     * each refusal; it should say where writes go). Reads, dry runs and route tests are served.
     * Default: writes are served.
     */
    public Builder refuseWrites(Supplier<String> why) {
      this.writeRefusal = Objects.requireNonNull(why, "why");
      return this;
    }

    /**
     * The config directory the server applies ({@code --config-dir}), as the operator gave it: the
     * API's refusal to change the objects it owns names it. Default: none.
     */
    public Builder configDir(String configDir) {
      if (configDir.isBlank()) throw new IllegalArgumentException("configDir: expected the directory's path, got an empty string");
      this.configDir = configDir;
      return this;
    }

    /** Where to listen; port 0 picks a free port (see {@link #boundAddress()}). Default {@code 127.0.0.1:9900}. */
    public Builder address(InetSocketAddress address) {
      this.address = Objects.requireNonNull(address, "address");
      return this;
    }

    /** The store the API reads and writes. Required. */
    public Builder store(ConfigStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * The tokens that may call the API; empty (the default) means none needed, which only a loopback
     * address allows. Names must be unique.
     */
    public Builder tokens(List<AdminToken> tokens) {
      List<String> names = new ArrayList<>();
      for (AdminToken t : tokens) {
        if (names.contains(t.name())) throw new IllegalArgumentException("two admin tokens are named '" + t.name() + "'");
        names.add(t.name());
      }
      this.tokens = List.copyOf(tokens);
      return this;
    }

    /**
     * The {@code Host} names and browser origins accepted besides the listener's own (default
     * {@link AdminAccess#DEFAULT}: none).
     */
    public Builder access(AdminAccess access) {
      this.access = Objects.requireNonNull(access, "access");
      return this;
    }

    /** What {@code GET /api/v1/status} reports about this node; called for each request. Required. */
    public Builder nodeStatus(Supplier<NodeStatus> nodeStatus) {
      this.nodeStatus = Objects.requireNonNull(nodeStatus, "nodeStatus");
      return this;
    }

    /** Answers {@code POST /api/v1/route-test} with the data plane's router. Required. */
    public Builder routeTester(RouteTester routeTester) {
      this.routeTester = Objects.requireNonNull(routeTester, "routeTester");
      return this;
    }

    /**
     * What {@code GET /api/v1/stats} serves (the data plane's traffic statistics): called for each
     * request, on a virtual thread, concurrently; the object it returns is written by Jackson as JSON
     * (or YAML on request). Required.
     */
    public Builder stats(Supplier<?> stats) {
      this.stats = Objects.requireNonNull(stats, "stats");
      return this;
    }

    /**
     * Serves {@code endpoint} for GET on {@code path} (for example {@code /metrics}), to the viewer
     * role and above.
     *
     * @param path absolute, outside {@code /api/}, made of unreserved URL characters, not yet mounted
     */
    public Builder endpoint(String path, AdminEndpoint endpoint) {
      Objects.requireNonNull(endpoint, "endpoint");
      if (!ENDPOINT_PATH.matcher(path).matches()) {
        throw new IllegalArgumentException("invalid endpoint path '" + path + "': expected /segment[/segment...] of letters, digits, '.', '_', '~', '-'");
      }
      if (path.equals("/api") || path.startsWith("/api/")) {
        throw new IllegalArgumentException("invalid endpoint path '" + path + "': /api/ belongs to the admin API");
      }
      if (endpoints.putIfAbsent(path, endpoint) != null) {
        throw new IllegalArgumentException("an endpoint is already mounted on '" + path + "'");
      }
      return this;
    }

    /** The clock the uptime is measured with. Default: the system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @throws NullPointerException naming the missing part when store, nodeStatus, routeTester or stats was not given
     */
    public AdminServer build() {
      return new AdminServer(this);
    }
  }
}
