package io.sluice.proxy.internal;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.concurrent.EventExecutor;
import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigSet;
import io.sluice.api.ObjectRef;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.proxy.RouteDecision;
import io.sluice.proxy.message.RequestMessage;
import io.sluice.proxy.upstream.Endpoint;
import io.sluice.proxy.upstream.HostPort;
import io.sluice.proxy.websocket.WebSocketTunnels;
import io.sluice.api.route.RouteSpec;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running data plane: event loops, bound listeners, and the current {@link RuntimeSnapshot}.
 * The public face is {@link io.sluice.proxy.Gateway}.
 *
 * <p>Threading: {@link #apply} and {@link #close} are serialised by this object's monitor and run
 * on the caller's thread; the event loops only ever read {@link #snapshot()}.
 */
public final class DataPlane {
  private static final Logger log = LoggerFactory.getLogger(DataPlane.class);
  /** Per-connection outbound buffering before back-pressure stops the other side from reading. */
  private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

  private final EventLoopGroup bossGroup;
  private final EventLoopGroup workerGroup;
  private final int loops;
  /** Concurrent: read by metric scrapes without taking the apply lock. */
  private final Map<String, ListenerRuntime> listeners = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile RuntimeSnapshot snapshot = RuntimeSnapshot.EMPTY;
  private volatile Map<ObjectRef, String> skipped = Map.of();
  private final Observability observability;
  private final WebSocketTunnels tunnels = new WebSocketTunnels();
  private boolean closed;
  /** Checks the certificate files of TLS listeners; off the event loops, since it reads files and builds contexts. */
  private final java.util.concurrent.ScheduledExecutorService certificateFiles =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sluice-tls-files");
        t.setDaemon(true);
      // Control plane: below the event loops (docs/architecture.md, "Threads and priorities").
      t.setPriority(Thread.MIN_PRIORITY);
        return t;
      });
  /** Listener → the last failure to load its changed certificate files, so that it is logged once. */
  private final Map<String, String> certificateFileFailures = new HashMap<>();
  /** How often certificate files are checked for changes. */
  static final Duration CERTIFICATE_FILE_CHECK = Duration.ofSeconds(2);

  /**
   * Which listeners of a configuration this node binds (the fleet's node selection, {@code ListenerSpec.nodeSelector});
   * the others are compiled but not bound.
   */
  private final java.util.function.Predicate<ConfigObject<ListenerSpec>> binds;

  public DataPlane(int eventLoops, io.sluice.proxy.metrics.MetricsOptions metrics) {
    this(eventLoops, metrics, l -> true);
  }

  /** @param binds which listeners this node binds; called under the apply lock, on the applying thread */
  public DataPlane(int eventLoops, io.sluice.proxy.metrics.MetricsOptions metrics,
      java.util.function.Predicate<ConfigObject<ListenerSpec>> binds) {
    this.binds = java.util.Objects.requireNonNull(binds, "binds");
    if (eventLoops < 1) throw new IllegalArgumentException("eventLoops must be >= 1, got " + eventLoops);
    this.loops = eventLoops;
    this.bossGroup = new MultiThreadIoEventLoopGroup(1, LoopThread.factory("sluice-accept"), Transport.ioHandlerFactory());
    this.workerGroup = new MultiThreadIoEventLoopGroup(eventLoops, LoopThread.factory("sluice-loop"), Transport.ioHandlerFactory());
    for (EventExecutor loop : workerGroup) {
      loop.scheduleAtFixedRate(() -> LoopThread.current().context().sweep(System.nanoTime()), 1, 1, TimeUnit.SECONDS);
    }
    this.observability = new Observability(this, eventLoops, metrics);
    long every = CERTIFICATE_FILE_CHECK.toMillis();
    certificateFiles.scheduleWithFixedDelay(this::refreshCertificateFiles, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * Compiles again the TLS of listeners whose certificate files changed on disk (a certificate
   * renewed in place), and swaps it in: new handshakes get the new certificate, open connections
   * keep theirs. New files that do not load leave the old certificate serving; the failure is
   * logged once per listener until it changes.
   */
  synchronized void refreshCertificateFiles() {
    if (closed) return;
    try {
      Map<String, String> failures = new HashMap<>();
      RuntimeSnapshot next = snapshot.withRefreshedTls(failures::put);
      for (Map.Entry<String, String> f : failures.entrySet()) {
        if (!f.getValue().equals(certificateFileFailures.get(f.getKey()))) {
          log.error("Listener/{}: its certificate files changed but do not load, so it keeps serving the previous certificate: {}",
              f.getKey(), f.getValue());
        }
      }
      certificateFileFailures.keySet().retainAll(failures.keySet());
      certificateFileFailures.putAll(failures);
      if (next != snapshot) {
        log.info("certificate files changed on disk: new TLS connections get the new certificates");
        snapshot = next;
      }
    } catch (RuntimeException e) {
      log.error("checking certificate files failed", e);
    }
  }

  /** Metrics, stats, access logs and tracing of this data plane. */
  public Observability observability() {
    return observability;
  }

  /** The open WebSocket tunnels. Any thread. */
  WebSocketTunnels tunnels() {
    return tunnels;
  }

  /** Whether the configuration {@code c} still serves WebSocket tunnels of {@code route} on {@code listener}. */
  private static boolean servesWebSocket(ConfigSet c, String listener, String route) {
    if (c.listeners().stream().noneMatch(l -> l.name().equals(listener))) return false;
    for (ConfigObject<RouteSpec> r : c.routes()) {
      if (r.name().equals(route)) {
        return r.spec().websocketAllowed() && (r.spec().listeners().isEmpty() || r.spec().listeners().contains(listener));
      }
    }
    return false;
  }

  /** Open client connections per bound listener. Any thread. */
  Map<String, Integer> connectionCounts() {
    Map<String, Integer> out = new java.util.TreeMap<>();
    for (ListenerRuntime l : listeners.values()) out.put(l.name, l.connections().size());
    return out;
  }

  /** The worker event loops, in index order. */
  Iterable<EventExecutor> eventLoops() {
    return workerGroup;
  }

  RuntimeSnapshot snapshot() {
    return snapshot;
  }

  /** The configuration now in force. */
  public ConfigSet config() {
    return snapshot.config();
  }

  /**
   * Applies {@code config}: compiles it, binds new or moved listeners, swaps the snapshot in, then
   * unbinds listeners that are gone and closes idle connections to endpoints that are gone. If a
   * listener cannot bind, nothing changes and the exception names the listener and address.
   *
   * <p>An object that fails to compile (a filter that cannot be created, a value the runtime cannot
   * hold) does not cost the others: it is skipped with what depends on it ({@link Dependents}),
   * logged and listed in {@link #skipped()}, and the rest is applied. The next apply tries it again.
   * The snapshot's configuration is what was applied, without the skipped objects.
   */
  public synchronized void apply(ConfigSet requested) {
    if (closed) throw new IllegalStateException("data plane is closed");
    RuntimeSnapshot previous = snapshot;
    Map<ObjectRef, String> skipping = new TreeMap<>();
    ConfigSet config = requested;
    ConfigDiff diff;
    RuntimeSnapshot next;
    while (true) {
      diff = ConfigDiff.between(previous.config(), config);
      try {
        next = RuntimeSnapshot.compile(config, diff, previous, loops, observability);
        break;
      } catch (ObjectCompileException e) {
        config = without(config, e, skipping);
      }
    }
    Map<String, InetSocketAddress> wanted = new HashMap<>();
    for (ConfigObject<ListenerSpec> l : config.listeners()) {
      if (!binds.test(l)) continue;
      wanted.put(l.name(), HostPort.parse(l.spec().address()).toSocketAddress());
    }
    List<Runnable> commit = new ArrayList<>();
    List<Channel> bound = new ArrayList<>();
    try {
      for (Map.Entry<String, InetSocketAddress> w : wanted.entrySet()) {
        ListenerRuntime existing = listeners.get(w.getKey());
        if (existing != null && existing.address.equals(w.getValue())) continue;
        ListenerRuntime runtime = existing != null ? existing : new ListenerRuntime(w.getKey(), this, w.getValue());
        Channel ch = bind(runtime, w.getValue());
        bound.add(ch);
        commit.add(() -> {
          Channel old = runtime.serverChannel;
          runtime.serverChannel = ch;
          runtime.address = w.getValue();
          listeners.put(runtime.name, runtime);
          // Accepting starts only now that the listener's config is in the snapshot (see bind).
          ch.config().setAutoRead(true);
          // Unbound before apply returns: the old address is free and refuses connections from now on.
          if (old != null) old.close().syncUninterruptibly();
        });
      }
    } catch (RuntimeException e) {
      for (Channel ch : bound) ch.close();
      throw e;
    }
    snapshot = next;
    skipped = Collections.unmodifiableMap(skipping);
    // Health checks and outlier decay follow the runtimes in force (resilience, see UpstreamRuntime).
    for (UpstreamRuntime u : previous.upstreamsNotIn(next)) u.stop();
    for (UpstreamRuntime u : next.upstreamsNotIn(previous)) u.start(workerGroup);
    commit.forEach(Runnable::run);
    observability.committed(next, diff);
    ConfigSet applied = next.config();
    tunnels.configChanged((listener, route) -> servesWebSocket(applied, listener, route));
    for (ListenerRuntime l : List.copyOf(listeners.values())) {
      if (!wanted.containsKey(l.name)) {
        listeners.remove(l.name);
        Channel sc = l.serverChannel;
        if (sc != null) sc.close().syncUninterruptibly();
        // Its connections see no config any more and close; in-flight exchanges finish first.
        drain(l);
      }
    }
    for (Endpoint e : previous.endpointsDroppedBy(next)) {
      for (EventExecutor loop : workerGroup) {
        loop.execute(() -> LoopThread.current().context().retire(e));
      }
    }
  }

  /**
   * {@code config} without the object that failed to compile and what depends on it, each recorded
   * in {@code skipping} with the reason. Each round removes at least that object, so the caller's
   * loop ends.
   *
   * @throws ObjectCompileException {@code failure} itself when the object it names is not in {@code config}
   */
  private static ConfigSet without(ConfigSet config, ObjectCompileException failure, Map<ObjectRef, String> skipping) {
    ObjectRef failed = failure.object();
    if (config.get(failed) == null) throw failure;
    Set<ObjectRef> gone = Dependents.of(config, failed);
    log.error("{}; skipping it{} and applying the rest", failure.getMessage(),
        gone.size() == 1 ? "" : " and what depends on it (" + gone.stream().skip(1).map(ObjectRef::toString)
            .collect(java.util.stream.Collectors.joining(", ")) + ")");
    skipping.put(failed, failure.getMessage());
    for (ObjectRef d : gone) skipping.putIfAbsent(d, "depends on " + failed + ", which failed to compile");
    try {
      return config.with(List.of(), gone);
    } catch (ConfigException e) {
      // Removing an object with everything that refers to it leaves no dangling reference.
      throw new IllegalStateException("skipping " + gone + " left an invalid configuration: " + e.getMessage(), e);
    }
  }

  /**
   * The objects of the last applied configuration that the data plane skipped because they (or an
   * object they depend on) failed to compile, by {@code Kind/name}, with the reason; sorted. Any thread.
   */
  public Map<ObjectRef, String> skipped() {
    return skipped;
  }

  /**
   * Binds {@code address} without accepting yet: the caller turns auto-read on once the listener's
   * config is in the snapshot. A connection accepted between the bind and the swap would find no
   * config for its listener and be closed; until then the kernel queues connections in the backlog.
   */
  private Channel bind(ListenerRuntime runtime, InetSocketAddress address) {
    ServerBootstrap b = new ServerBootstrap()
        .group(bossGroup, workerGroup)
        .channel(Transport.serverChannelClass())
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            // The TLS of the snapshot in force when the connection came: a rotation reaches new connections only.
            ListenerConfig c = runtime.config();
            if (c != null && c.tls != null) c.tls.addTo(ch.pipeline());
            // HTTP/2 (ALPN, or the h2c preface) takes the connection over from the HTTP/1.1 handler when it is chosen.
            ChannelHandler h2 = Http2Pipelines.detector(runtime, c);
            if (h2 != null) ch.pipeline().addLast(h2);
            ch.pipeline().addLast(new DownstreamHandler(runtime));
          }
        });
    try {
      return b.bind(address).syncUninterruptibly().channel();
    } catch (Exception e) {
      throw new IllegalStateException("Listener/" + runtime.name + ": cannot bind " + address + ": " + e.getMessage(), e);
    }
  }

  /**
   * Routes {@code head} through the current snapshot exactly as {@link DownstreamHandler} does, and
   * says which listener, route and upstream take it and what path and Host go upstream. Off the hot
   * path (admin route tests); reads the snapshot once.
   *
   * @param listener the listener to consult, or null for the first (by name) whose routes match
   * @throws IllegalArgumentException when {@code listener} names no listener, or none is configured
   */
  public RouteDecision explain(@org.jspecify.annotations.Nullable String listener, RequestMessage head) {
    RuntimeSnapshot s = snapshot;
    List<String> names = s.config().listeners().stream().map(ConfigObject::name).toList();
    if (names.isEmpty()) throw new IllegalArgumentException("no listener is configured");
    if (listener != null && !s.listeners().containsKey(listener)) {
      throw new IllegalArgumentException("no listener named '" + listener + "'; listeners: " + String.join(", ", names));
    }
    for (String name : listener != null ? List.of(listener) : names) {
      // The handler's own rules: "*" (OPTIONS) and CONNECT never reach a route.
      RuntimeRoute r = head.path().equals("*") || head.method().equals("CONNECT") ? null
          : s.listeners().get(name).routes.match(head);
      if (r != null) {
        String path = r.stripPrefix() == null ? head.path() : r.rewritePath(head.path());
        // A split route: the upstream this request would take (canary rules apply; a weighted split draws).
        UpstreamRuntime u = r.traffic() != null ? r.traffic().split().pick(head) : r.upstream();
        List<String> filters = r.filters() == null ? List.of() : r.filters().describe();
        return new RouteDecision(name, r.name(), u == null ? null : u.name, filters,
            head.query() == null ? path : path + "?" + head.query(),
            r.hostRewrite() != null ? r.hostRewrite() : head.authority());
      }
    }
    return new RouteDecision(listener != null ? listener : names.getFirst(), null, null, List.of(), null, null);
  }

  /** The address a listener is bound to (with the actual port), or null when it is not bound. */
  public InetSocketAddress boundAddress(String listener) {
    ListenerRuntime l;
    synchronized (this) {
      l = listeners.get(listener);
    }
    if (l == null || l.serverChannel == null) return null;
    return (InetSocketAddress) l.serverChannel.localAddress();
  }

  private void drain(ListenerRuntime l) {
    tunnels.drain(l.name);
    for (Channel c : l.connections()) {
      c.eventLoop().execute(() -> {
        DownstreamHandler h = c.pipeline().get(DownstreamHandler.class);
        if (h != null) h.drain();
        Http2Connection h2 = c.pipeline().get(Http2Connection.class);
        if (h2 != null) h2.drain();
      });
    }
  }

  /**
   * Stops accepting, lets in-flight exchanges finish for up to the longest listener drain timeout
   * (idle keep-alive connections close at once), then closes what is left and stops the loops.
   */
  public synchronized void close() {
    if (closed) return;
    closed = true;
    certificateFiles.shutdownNow();
    tunnels.shutDown();
    Duration drainTimeout = Duration.ZERO;
    for (ListenerRuntime l : listeners.values()) {
      Channel sc = l.serverChannel;
      if (sc != null) sc.close().syncUninterruptibly();
      ListenerConfig c = snapshot.listeners().get(l.name);
      if (c != null && c.spec.timeouts().drain().compareTo(drainTimeout) > 0) drainTimeout = c.spec.timeouts().drain();
      drain(l);
    }
    // WebSocket tunnels close at the end of the drain timeout, then get a moment for their close
    // frames (asked each time: a tunnel whose 101 was on its way registers after shutDown()).
    long drained = System.nanoTime() + drainTimeout.toNanos();
    while (System.nanoTime() < drained + (tunnels.openCount() > 0 ? WebSocketTunnels.CLOSE_WAIT.toNanos() : 0)
        && listeners.values().stream().anyMatch(l -> !l.connections().isEmpty())) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (UpstreamRuntime u : snapshot.upstreams().values()) u.stop();
    int forced = 0;
    for (ListenerRuntime l : listeners.values()) {
      for (Channel c : l.connections()) {
        forced++;
        c.close();
      }
    }
    if (forced > 0) log.warn("closed {} connection(s) still busy after the drain timeout of {}", forced, drainTimeout);
    workerGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    bossGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    // After the loops: the exchanges they ended have queued their log entries and spans.
    observability.close();
  }
}
