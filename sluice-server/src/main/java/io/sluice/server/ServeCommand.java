package io.sluice.server;

import io.sluice.admin.AdminAccess;
import io.sluice.admin.AdminServer;
import io.sluice.admin.AdminToken;
import io.sluice.admin.AdminTokens;
import io.sluice.admin.NodeStatus;
import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.api.validate.PathPolicy;
import io.sluice.proxy.Gateway;
import io.sluice.proxy.metrics.MetricsOptions;
import io.sluice.store.ConfigStore;
import io.sluice.store.StoreConflictException;
import io.sluice.store.StoreException;
import io.sluice.store.etcd.EtcdConnection;
import io.sluice.store.etcd.EtcdMembership;
import io.sluice.store.Membership;
import io.sluice.store.NodeRecord;
import io.sluice.server.fleet.FleetFlags;
import io.sluice.server.canary.CanaryController;
import io.sluice.server.fleet.NodeReporter;
import io.sluice.server.fleet.TrafficWindow;
import io.sluice.store.Canaries;
import io.sluice.store.etcd.EtcdCanaries;
import io.sluice.server.fleet.Role;
import io.sluice.server.fleet.WriteRefusal;
import io.sluice.store.sqlite.SqliteConfigStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code sluice serve}: the gateway on the embedded store, with the admin API and, optionally, a
 * watched config directory applied into the store.
 *
 * <p>Startup: create the log directory ({@code --log-dir}) when absent; open the store in
 * {@code --data-dir}, validating under that log directory; apply {@code --config-dir} into it (one change
 * set by {@code config-dir}); apply the store's configuration to the gateway and follow it
 * ({@link StoreSync}); start the admin API. SIGTERM or SIGINT: stop the admin API and the watchers,
 * drain the gateway, close the store, exit 0.
 */
@Command(name = "serve", description = {
    "Run the gateway on its embedded store, with the admin API and an optional watched config directory.",
    "The configuration lives in the store (--data-dir, or etcd with --store etcd://...) and changes through the admin API"
        + " (--admin-address)",
    "and, with --config-dir, through a directory of YAML/JSON objects applied into the store on every change."})
final class ServeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);
  static final String DEFAULT_ADMIN_ADDRESS = "127.0.0.1:9900";

  @Option(names = "--config-dir", paramLabel = "DIR",
      description = "directory of YAML/JSON objects applied into the store and watched for changes (GitOps)")
  @Nullable Path configDir;

  @Option(names = "--config-dir-grace", paramLabel = "DURATION", converter = ConfigDirectoryOptions.DurationConverter.class,
      defaultValue = "10s", description = "how long the objects of a file that vanished (or of a removed document) keep serving"
          + " before they are deleted; back within it, nothing changes (default: ${DEFAULT-VALUE})")
  java.time.Duration configDirGrace = ConfigDirectoryOptions.DEFAULT_GRACE;

  @Option(names = "--config-dir-settle", paramLabel = "DURATION", converter = ConfigDirectoryOptions.DurationConverter.class,
      defaultValue = "1s", description = "how long a changed file must stay unchanged before it is taken (default: ${DEFAULT-VALUE})")
  java.time.Duration configDirSettle = ConfigDirectoryOptions.DEFAULT_SETTLE;

  @Option(names = "--config-dir-max-delete", paramLabel = "PERCENT", converter = ConfigDirectoryOptions.PercentConverter.class,
      defaultValue = "50", description = "the largest share of the directory's objects one change may delete; a change deleting"
          + " more, or all of them, is refused (default: ${DEFAULT-VALUE}%)")
  int configDirMaxDelete = ConfigDirectoryOptions.DEFAULT_MAX_DELETE_PERCENT;

  @Option(names = "--config-dir-force", description = "let a change of --config-dir delete any share of its objects, all of them too")
  boolean configDirForce;

  @Option(names = "--plugin-dir", paramLabel = "DIR",
      description = "load every NAME.jar in DIR as the Plugin NAME (filter plugin jars; its sha256 taken from the file), "
          + "again on every change; whoever may write into DIR runs code in the gateway")
  @Nullable Path pluginDir;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "where the embedded store keeps the configuration and its history (default: ./data;"
          + " with --demo a fresh temporary directory)")
  @Nullable Path dataDir;

  @Option(names = "--log-dir", paramLabel = "DIR",
      description = "the only directory access log files may be in; objects name them relative to it"
          + " (default: <data-dir>/logs, created owner-only when absent)")
  @Nullable Path logDir;

  @Option(names = "--cert-dir", paramLabel = "DIR",
      description = "the only directory Secrets' certificate and key files may be in; Secrets name them relative to it"
          + " (default: <data-dir>/certs)")
  @Nullable Path certDir;

  @Option(names = "--admin-address", paramLabel = "HOST:PORT", defaultValue = DEFAULT_ADMIN_ADDRESS,
      description = "the admin API's address (default: ${DEFAULT-VALUE}); a non-loopback address needs --admin-tokens")
  String adminAddress;

  @Option(names = "--admin-tokens", paramLabel = "FILE", description = "YAML file of admin API tokens (name, role, token or sha256)")
  @Nullable Path adminTokens;

  @Option(names = "--admin-allowed-hosts", split = ",", paramLabel = "HOST[,HOST...]",
      description = "host names the admin API accepts in Host besides localhost, 127.0.0.1, [::1] and its own address"
          + " (a defence against DNS rebinding; on a non-loopback --admin-address, giving any turns the Host check on)")
  @Nullable List<String> adminAllowedHosts;

  @Option(names = "--admin-allowed-origins", split = ",", paramLabel = "ORIGIN[,ORIGIN...]",
      description = "browser origins (such as https://console.example.com) the admin API accepts in Origin besides its own")
  @Nullable List<String> adminAllowedOrigins;

  @Option(names = "--node-id", paramLabel = "ID", description = "this node's name in status and the fleet (default: the host name)")
  @Nullable String nodeId;

  @Option(names = "--event-loops", paramLabel = "N", description = "event loop threads (default: one per available processor)")
  @Nullable Integer eventLoops;

  @Mixin MetricsFlags metrics = new MetricsFlags();
  private MetricsOptions metricsOptions = MetricsOptions.DEFAULTS;

  @Mixin StoreFlags storeFlags = new StoreFlags();
  @Mixin FleetFlags fleetFlags = new FleetFlags();
  @Mixin ChangeReviewFlags changeReviewFlags = new ChangeReviewFlags();
  private io.sluice.admin.ChangeReview changeReview = io.sluice.admin.ChangeReview.OFF;
  private Role role = Role.ALL;
  private Map<String, String> nodeLabels = Map.of();
  /** The etcd store {@code --store} names, or null for the embedded one. */
  private @Nullable EtcdConnection etcd;

  @Option(names = "--demo", hidden = true, description = "print the demo's curl commands once serving; a temporary data directory")
  boolean demo;
  /** The CA file of the demo's HTTPS certificate, once made. */
  private @Nullable Path demoCa;

  // What has been started; stopAll() stops it in this order: the node's fleet registration, admin
  // API, config directory, store sync, gateway (drains), store, then the demo's temporary data directory.
  private @Nullable NodeReporter reporter;
  private @Nullable AdminServer adminServer;
  private io.sluice.server.webhook.@Nullable WebhookNotifier webhooks;
  private io.sluice.server.webhook.@Nullable NodeEventWatcher nodeEvents;
  private @Nullable ConfigDirectorySource source;
  private @Nullable PluginDirectorySource plugins;
  private @Nullable StoreFollower sync;
  private io.sluice.server.cache.@Nullable StoreOpener opener;
  private @Nullable Canaries canaries;
  private io.sluice.store.@Nullable LeaderElection canaryElection;
  private @Nullable CanaryFollower canaryFollower;
  private @Nullable Gateway gateway;
  private @Nullable ConfigStore store;
  private @Nullable Path temporaryDataDir;

  @Override
  public Integer call() throws Exception {
    if (eventLoops != null && eventLoops < 1) {
      System.err.println("sluice serve: --event-loops must be at least 1, got " + eventLoops);
      return Main.USAGE;
    }
    MetricsOptions checked = metrics.options();
    if (checked == null) return Main.USAGE;
    metricsOptions = checked;
    try {
      etcd = storeFlags.etcd();
    } catch (StoreFlags.Invalid e) {
      System.err.println("sluice serve: " + e.getMessage());
      return e.usage ? Main.USAGE : 1;
    }
    try {
      role = fleetFlags.role();
      nodeLabels = fleetFlags.labels();
    } catch (FleetFlags.Invalid e) {
      System.err.println("sluice serve: " + e.getMessage());
      return Main.USAGE;
    }
    String fleetProblem = fleetProblem();
    if (fleetProblem != null) {
      System.err.println("sluice serve: " + fleetProblem);
      return Main.USAGE;
    }
    InetSocketAddress admin = parseAddress(adminAddress);
    if (admin == null) {
      System.err.println("sluice serve: --admin-address must be host:port (such as 127.0.0.1:9900; port 0 picks a free one), got '"
          + adminAddress + "'");
      return Main.USAGE;
    }
    if (admin.isUnresolved()) {
      System.err.println("sluice serve: --admin-address " + adminAddress + ": unknown host " + admin.getHostString());
      return 1;
    }
    List<String> allowedHosts = adminAllowedHosts == null ? List.of() : adminAllowedHosts;
    List<String> allowedOrigins = adminAllowedOrigins == null ? List.of() : adminAllowedOrigins;
    AdminAccess access;
    try {
      new AdminAccess(allowedHosts, List.of());
    } catch (IllegalArgumentException e) {
      System.err.println("sluice serve: --admin-allowed-hosts: " + e.getMessage());
      return Main.USAGE;
    }
    try {
      access = new AdminAccess(allowedHosts, allowedOrigins);
    } catch (IllegalArgumentException e) {
      System.err.println("sluice serve: --admin-allowed-origins: " + e.getMessage());
      return Main.USAGE;
    }
    if (configDir != null && !Files.isDirectory(configDir)) {
      System.err.println("sluice serve: --config-dir " + configDir + " is not a directory");
      return 1;
    }
    List<AdminToken> tokens = List.of();
    if (adminTokens != null) {
      try {
        tokens = AdminTokens.load(adminTokens);
      } catch (ConfigException e) {
        for (ConfigError err : e.errors()) System.err.println(err);
        System.err.println("sluice serve: --admin-tokens " + adminTokens + " has " + e.errors().size() + " error(s); not starting");
        return 1;
      } catch (IOException e) {
        System.err.println("sluice serve: cannot read --admin-tokens " + adminTokens + ": " + e.getMessage());
        return 1;
      }
    }
    io.sluice.admin.ChangeReview review = changeReviewFlags.settings(tokens);
    if (review == null) return Main.USAGE;
    changeReview = review;
    if (tokens.isEmpty() && (admin.getAddress() == null || !admin.getAddress().isLoopbackAddress())) {
      System.err.println("sluice serve: --admin-address " + adminAddress + " is not a loopback address; the admin API"
          + " is served there only with --admin-tokens FILE (anyone who can connect could change the configuration)");
      return 1;
    }
    try {
      return serve(admin, tokens, access);
    } finally {
      stopAll();
    }
  }

  private int serve(InetSocketAddress adminSocket, List<AdminToken> tokens, AdminAccess access) throws Exception {
    Instant startedAt = Instant.now();
    CountDownLatch stopRequested = new CountDownLatch(1);
    Runnable shutdown = once(() -> {
      log.info("shutting down: draining in-flight requests");
      stopAll();
      log.info("stopped");
    });
    // SIGTERM (kill, systemd, Kubernetes) and SIGINT (Ctrl-C) stop the server gracefully and the
    // process exits 0: stopping on request is a success, not a crash. The handlers are in place
    // before the first listener binds: a SIGTERM that comes while the server is still starting (its
    // listeners already take requests) then drains too, once the start is done, instead of ending
    // the JVM with the requests in flight.
    onSignal("TERM", stopRequested);
    onSignal("INT", stopRequested);
    Path data = dataDir;
    if (data == null && demo) {
      // The demo starts from examples/demo every time: its own store, gone when it stops.
      temporaryDataDir = Files.createTempDirectory("sluice-demo-data-");
      data = temporaryDataDir;
    } else if (data == null) {
      data = Path.of("data");
    }
    Path logs = (logDir != null ? logDir : data.resolve(SqliteConfigStore.DEFAULT_LOG_DIR)).toAbsolutePath().normalize();
    String logProblem = prepareLogDirectory(logs, data.toAbsolutePath().normalize());
    if (logProblem != null) {
      System.err.println("sluice serve: --log-dir " + logs + ": " + logProblem);
      return 1;
    }
    Path certs = (certDir != null ? certDir : data.resolve("certs")).toAbsolutePath().normalize();
    PathPolicy paths = PathPolicy.logDirectory(logs).with(PathPolicy.Directory.CERTS, certs);
    // wasm modules configured by URL are cached here by SHA-256 (sluice-wasm's ModuleDownloads): a restart without network still starts.
    System.setProperty("sluice.wasm.cacheDir", data.resolve("wasm-cache").toAbsolutePath().normalize().toString());
    if (demo) {
      try {
        demoCa = DemoCertificates.ensure(certs);
      } catch (IOException e) {
        System.err.println("sluice serve: --cert-dir " + certs + ": " + e.getMessage());
        return 1;
      }
    }
    ConfigStore store;
    EtcdConnection etcd = this.etcd;
    String storeName = etcd != null ? etcd.toString() : data.toAbsolutePath().normalize().toString();
    // With etcd: the last-known-good cache, and the store opened in the background when it does not answer in time.
    EtcdStart etcdStart = null;
    if (etcd != null) {
      etcdStart = EtcdStart.open(etcd, paths, data, storeFlags.connectTimeout);
      if (etcdStart == null) return 1;
      this.opener = etcdStart.opener();
      store = etcdStart.store();
    } else {
      try {
        store = SqliteConfigStore.open(data, paths);
      } catch (StoreException e) {
        System.err.println("sluice serve: cannot open the store in --data-dir " + data + ": " + e.getMessage());
        return 1;
      }
    }
    this.store = store;

    int loops = eventLoops != null ? eventLoops : Runtime.getRuntime().availableProcessors();
    // Started before the directory is read: its refused changes are counted in the gateway's metrics.
    Role role = this.role;
    Map<String, String> labels = nodeLabels;
    Gateway gateway = Gateway.start(loops, metricsOptions, l -> role.servesTraffic() && l.spec().selects(labels));
    this.gateway = gateway;

    // The fleet's config canary: the config directory waits for a running one, as the admin API refuses.
    Canaries fleetCanaries = etcd != null ? (this.canaries = EtcdCanaries.open(etcd)) : null;
    // Before the config directory: its routes may use the directory's plugins.
    if (pluginDir != null && role.takesWrites()) {
      PluginDirectorySource pds = plugins = new PluginDirectorySource(pluginDir, data.resolve("plugins"), store);
      try {
        pds.start();
      } catch (IOException e) {
        System.err.println("sluice serve: cannot watch --plugin-dir " + pluginDir + ": " + e.getMessage());
        return 1;
      }
    }
    ConfigDirectorySource source = null;
    if (configDir != null) {
      source = new ConfigDirectorySource(configDir, store, paths,
          new ConfigDirectoryOptions(configDirGrace, configDirSettle, configDirMaxDelete, configDirForce),
          gateway.metrics()::recordConfigApplyFailure);
      if (fleetCanaries != null) source.waitForCanaries(fleetCanaries::active);
      this.source = source;
      // Watch before the first sync: a change made while it runs is then seen, not lost.
      source.watch();
      if (etcdStart == null || !etcdStart.fromCache()) {
        Integer refused = syncAtStart(source, store, gateway);
        if (refused != null) return refused;
      }
    }

    StoreFollower sync;
    try {
      if (etcdStart != null && etcdStart.fromCache()) {
        ConfigDirectorySource dir = source;
        sync = etcdStart.followFromCache(gateway, () -> {
          // The directory is applied into the store once there is one to apply it into.
          if (dir != null && syncAtStart(dir, store, gateway) == null) dir.start();
        });
      } else {
        sync = StoreFollower.follow(store, gateway, paths, etcdStart != null ? etcdStart.cache() : null);
      }
      this.sync = sync;
    } catch (ConfigException e) {
      for (ConfigError err : e.errors()) System.err.println(err);
      System.err.println("sluice serve: the stored configuration in " + storeName + " has " + e.errors().size() + " error(s); not starting");
      return 1;
    } catch (IllegalStateException e) {
      System.err.println("sluice serve: " + e.getMessage());
      return 1;
    }

    String node = nodeId != null ? nodeId : hostName();
    io.sluice.server.webhook.WebhookNotifier hooks = webhooks = Webhooks.notifier(store, node, data.toAbsolutePath().normalize());
    String version = Main.version();
    Membership membership = etcd != null ? EtcdMembership.open(etcd, EtcdMembership.DEFAULT_TTL) : Membership.local();
    io.sluice.server.canary.CanaryService canary = null;
    if (etcd != null) {
      // The config canary: its controller runs on the fleet's leader, its followers on the nodes that serve traffic.
      Canaries canaries = new io.sluice.server.webhook.NotifyingCanaries(
          java.util.Objects.requireNonNull(fleetCanaries, "opened above for a store on etcd"), hooks);
      // A canary's end settles the change request it was published for (after canary.promoted/aborted is told).
      canaries = new io.sluice.admin.ChangeCanaries(canaries, store, hooks);
      CanaryController controller = new CanaryController(canaries, store, membership, java.time.Clock.systemUTC());
      io.sluice.store.LeaderElection controllerElection = null;
      if (role.takesWrites()) {
        controllerElection = this.canaryElection = FleetElection.start(etcd, node, controller);
        sync.leader(controllerElection::leader);
      }
      io.sluice.store.LeaderElection ce = controllerElection;
      canary = new io.sluice.server.canary.CanaryService(store, canaries, membership, java.time.Clock.systemUTC(),
          controller::worseSince, ce != null ? ce::leader : () -> null);
      if (role.servesTraffic()) canaryFollower = new CanaryFollower(canaries, sync, node);
    }
    AdminServer adminServer;
    try {
      AdminServer.Builder admin = AdminServer.builder().membership(membership);
      if (canary != null) admin.canary(canary);
      if (!role.takesWrites()) admin.refuseWrites(new WriteRefusal(membership, node));
      if (configDir != null) admin.configDir(configDir.toString());
      admin.changeReview(changeReview);
      admin.events(hooks).webhookDeliveries(hooks::deliveries).webhookRedelivery(hooks::redeliver);
      adminServer = this.adminServer = admin
          .address(adminSocket)
          .store(store)
          .tokens(tokens)
          .access(access)
          .nodeStatus(() -> new NodeStatus(node, version, sync.appliedRevision(), startedAt, boundListeners(gateway),
              skippedObjects(sync), io.sluice.proxy.tls.TlsProvider.current().description(), sync.lastFailure(), sync.state()))
          .routeTester(new GatewayRouteTester(gateway))
          .stats(gateway::stats)
          .endpoint("/metrics", new PrometheusEndpoint(gateway.metrics()))
          .build();
      adminServer.start();
      nodeEvents = Webhooks.watch(hooks, node, sync, new PrometheusEndpoint(gateway.metrics())::text);
    } catch (IOException | RuntimeException e) {
      membership.close();
      System.err.println("sluice serve: cannot serve the admin API on --admin-address " + adminAddress + ": " + e.getMessage());
      return 1;
    }
    // A node of a fleet that serves traffic reports what it serves for the canary's comparison.
    TrafficWindow traffic = etcd != null && role.servesTraffic()
        ? new TrafficWindow(() -> PrometheusEndpoint.listenerText(gateway.metrics()), System::nanoTime) : null;
    reporter = new NodeReporter(membership, new NodeReporter.Identity(node, format(adminServer.boundAddress()), role, version,
        labels, startedAt), sync::appliedRevision, sync::lastFailure, sync::servedCanary, traffic);

    // Any other way the JVM is asked to exit (SIGHUP, ...) still drains, once the server is serving.
    Runtime.getRuntime().addShutdownHook(new Thread(shutdown, "sluice-shutdown"));
    if (source != null && (etcdStart == null || !etcdStart.fromCache())) source.start();

    log.info("serving node {} ({} event loop(s), {} transport), store {} at revision {}, log directory {}", node, loops,
        Gateway.transport(), storeName, sync.appliedRevision(), logs);
    if (role != Role.ALL || !labels.isEmpty()) log.info("fleet role {}, node labels {}", role, labels);
    if (configDir != null) log.info("watching {} (objects annotated {}: {})", configDir, ConfigDirectorySource.MANAGED_BY,
        ConfigDirectorySource.AUTHOR);
    for (ConfigObject<ListenerSpec> l : gateway.config().listeners()) {
      InetSocketAddress bound = gateway.boundAddress(l.name());
      // The bound address, not the configured one: with port 0 only the socket knows the port (tests read this line).
      if (bound != null) log.info("listener {} on {}://{}", l.name(), l.spec().tls() == null ? "http" : "https", format(bound));
    }
    String adminUrl = "http://" + format(adminServer.boundAddress());
    log.info("admin API on {} (OpenAPI: {}/api/v1/openapi.json{})", adminUrl, adminUrl,
        tokens.isEmpty() ? "; no tokens: loopback callers are editors" : "; " + tokens.size() + " token(s)");
    if (demo) printDemo(gateway, adminUrl);
    stopRequested.await();
    shutdown.run();
    return 0;
  }

  /** What is wrong with the role, labels and node id together with the other options, or null. */
  private @Nullable String fleetProblem() {
    if (role != Role.ALL && etcd == null) {
      return "--role " + role + " needs a store the fleet shares (--store etcd://...); with the embedded store (--data-dir)"
          + " a node is the whole fleet: --role all";
    }
    if (role == Role.DATA_PLANE && configDir != null) {
      return "--config-dir writes into the store, which a data-plane node does not; give it to the control plane";
    }
    if (nodeId != null && !NodeRecord.validId(nodeId)) {
      return "--node-id '" + nodeId + "': expected 1 to 128 letters, digits, '.', '_' and '-'";
    }
    return null;
  }

  /**
   * Creates the log directory when absent, readable and writable by this user only (access logs
   * hold client addresses and paths). An existing one is used as it is; one that other users may
   * write to is logged, since they could plant links or special files in it (PathPolicy and the
   * access log refuse to write through them, but the directory should be the gateway's alone).
   *
   * @return why the server must not start with it, else null
   */
  private static @Nullable String prepareLogDirectory(Path logs, Path data) {
    // A log named sluice.db with keep: 0 would delete the store: the data directory is no log directory.
    if (data.startsWith(logs)) return "holds the data directory " + data + "; expected a directory of its own such as " + data.resolve("logs");
    try {
      if (!Files.exists(logs, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(logs);
        if (logs.getFileSystem().supportedFileAttributeViews().contains("posix")) {
          Files.setPosixFilePermissions(logs, PosixFilePermissions.fromString("rwx------"));
        }
      } else if (!Files.isDirectory(logs)) {
        return "is not a directory";
      } else if (logs.getFileSystem().supportedFileAttributeViews().contains("posix")
          && Files.getPosixFilePermissions(logs).contains(PosixFilePermission.OTHERS_WRITE)) {
        log.warn("the log directory {} is writable by every user; expected it owned by the gateway's user alone (docs/security.md)", logs);
      }
      return null;
    } catch (IOException e) {
      return "cannot create it: " + e;
    }
  }

  /**
   * Applies the config directory into the store at start. An invalid directory is fatal only when
   * the store has nothing to serve; otherwise the store's configuration serves and the error is logged.
   *
   * @return the exit code when the server must not start, else null
   */
  private @Nullable Integer syncAtStart(ConfigDirectorySource source, ConfigStore store, Gateway gateway) {
    try {
      ConfigDirectorySource.Outcome o = source.sync();
      if (o.changed()) log.info("{}: revision {} ({} put, {} deleted)", o.message(), o.revision(), o.puts(), o.deletes());
      return null;
    } catch (ConfigException e) {
      if (store.revision() == 0) {
        for (ConfigError err : e.errors()) System.err.println(err);
        System.err.println("sluice serve: " + configDir + " has " + e.errors().size() + " error(s); not starting");
        return 1;
      }
      gateway.metrics().recordConfigApplyFailure();
      log.error("{} refused, the stored configuration (revision {}) keeps serving; {} error(s):", configDir, store.revision(),
          e.errors().size());
      for (ConfigError err : e.errors()) log.error("  {}", err);
      return null;
    } catch (StoreConflictException e) {
      if (store.revision() == 0) {
        System.err.println("sluice serve: " + configDir + " refused by the store: " + e.getMessage());
        return 1;
      }
      gateway.metrics().recordConfigApplyFailure();
      log.error("{} refused by the store, the stored configuration (revision {}) keeps serving: {}", configDir,
          store.revision(), e.getMessage());
      return null;
    } catch (IOException | UncheckedIOException e) {
      System.err.println("sluice serve: cannot read " + configDir + ": " + e.getMessage());
      return 1;
    }
  }

  /**
   * Stops what was started: no more admin requests or directory changes, then the data plane
   * drains, then the store closes. Each failure is logged and the rest still stop. Idempotent.
   */
  private synchronized void stopAll() {
    // The node leaves the fleet first: it is not listed while it drains.
    stop(reporter);
    reporter = null;
    stop(adminServer);
    adminServer = null;
    stop(nodeEvents);
    nodeEvents = null;
    stop(webhooks);
    webhooks = null;
    stop(source);
    source = null;
    stop(plugins);
    plugins = null;
    stop(canaryFollower);
    canaryFollower = null;
    stop(canaryElection);
    canaryElection = null;
    stop(canaries);
    canaries = null;
    stop(opener);
    opener = null;
    stop(sync);
    sync = null;
    stop(gateway);
    gateway = null;
    stop(store);
    store = null;
    if (temporaryDataDir != null) {
      try {
        deleteRecursively(temporaryDataDir);
      } catch (IOException | UncheckedIOException e) {
        log.warn("cannot remove the demo's data directory {}: {}", temporaryDataDir, e.toString());
      }
      temporaryDataDir = null;
    }
  }

  private static void stop(@Nullable AutoCloseable c) {
    if (c == null) return;
    try {
      c.close();
    } catch (Exception e) {
      log.warn("stopping {}: {}", c.getClass().getSimpleName(), e.toString());
    }
  }

  private static Map<String, String> skippedObjects(StoreFollower sync) {
    Map<String, String> out = new java.util.TreeMap<>();
    sync.skipped().forEach((ref, why) -> out.put(ref.toString(), why));
    return out;
  }

  private static Map<String, String> boundListeners(Gateway gateway) {
    Map<String, String> out = new LinkedHashMap<>();
    for (ConfigObject<ListenerSpec> l : gateway.config().listeners()) {
      InetSocketAddress a = gateway.boundAddress(l.name());
      // Not bound: another node's listener (its nodeSelector), or this is a control-plane node.
      if (a != null) out.put(l.name(), format(a));
    }
    return out;
  }

  /** {@code host:port} or {@code [v6]:port} (port 0 allowed), resolved; null when it is not of that form. */
  static @Nullable InetSocketAddress parseAddress(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) return null;
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0) {
      return null;
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      return null;
    }
    if (port < 0 || port > 65535 || host.isEmpty()) return null;
    try {
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      return InetSocketAddress.createUnresolved(host, port);
    }
  }

  /** {@code 127.0.0.1:9900}, {@code [::1]:9900}. */
  static String format(InetSocketAddress a) {
    String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      String env = System.getenv("HOSTNAME");
      return env == null || env.isBlank() ? "localhost" : env;
    }
  }

  /** Runs {@code r} the first time only; later callers wait until that first run has finished. */
  private static Runnable once(Runnable r) {
    AtomicBoolean done = new AtomicBoolean();
    return () -> {
      synchronized (done) {
        if (done.compareAndSet(false, true)) r.run();
      }
    };
  }

  /**
   * Turns a signal into a stop request. A second one while draining ends the process at once, as
   * operators expect of a second Ctrl-C.
   */
  private static void onSignal(String name, CountDownLatch stopRequested) {
    try {
      Signal.handle(new Signal(name), sig -> {
        if (stopRequested.getCount() == 0) {
          System.err.println("sluice: SIG" + name + " again while draining; exiting now");
          Runtime.getRuntime().halt(1);
        }
        stopRequested.countDown();
      });
    } catch (IllegalArgumentException e) {
      // This platform does not have the signal (or the JVM reserves it): the shutdown hook drains.
      log.debug("cannot handle SIG{}: {}", name, e.getMessage());
    }
  }

  private void printDemo(Gateway gateway, String adminUrl) {
    String addr = boundOrConfigured(gateway, "demo", "127.0.0.1:8080");
    boolean defaultAdmin = adminUrl.equals("http://" + DEFAULT_ADMIN_ADDRESS);
    String server = defaultAdmin ? "" : " --server " + adminUrl;
    System.out.println();
    System.out.println("Sluice is serving the demo on http://" + addr + " - try:");
    System.out.println("  curl -i http://" + addr + "/                      # a direct response from the gateway");
    System.out.println("  curl -i http://" + addr + "/echo/hello?x=1        # proxied to the built-in echo upstream");
    System.out.println("  curl -i -H 'X-Canary: 1' http://" + addr + "/echo  # header match: the canary route");
    System.out.println("  curl -i http://" + addr + "/nowhere               # no route: 404 with a JSON reason");
    gateway.config().listeners().stream().filter(l -> l.name().equals("demo-tls")).findFirst().ifPresent(l -> {
      String https = boundOrConfigured(gateway, l.name(), l.spec().address());
      System.out.println("  curl -i --cacert " + demoCa + " https://" + https + "/   # HTTPS, the demo's own CA");
    });
    System.out.println("The admin API is on " + adminUrl + " - try:");
    System.out.printf("  %-50s # the running config, from the store%n", "bin/sluice get routes" + server);
    System.out.printf("  %-50s # which route takes a request%n", "bin/sluice route-test GET http://" + addr + "/echo/hi" + server);
    System.out.println("Edit " + displayPath(configDir) + "/*.yaml while it runs: valid changes apply at once. Ctrl-C stops it.");
    System.out.println();
    System.out.flush();
  }

  /** Where a listener is bound (the OS's port when configured with port 0), else {@code otherwise}. */
  private static String boundOrConfigured(Gateway gateway, String listener, String otherwise) {
    InetSocketAddress bound = gateway.boundAddress(listener);
    return bound != null ? format(bound) : otherwise;
  }

  /** {@code dir} relative to the working directory when it is below it ({@code examples/demo}), else as given. */
  private static String displayPath(@Nullable Path dir) {
    if (dir == null) return "the objects";
    Path abs = dir.toAbsolutePath().normalize();
    Path cwd = Path.of("").toAbsolutePath();
    return abs.startsWith(cwd) && !abs.equals(cwd) ? cwd.relativize(abs).toString() : dir.toString();
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (var files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
    }
  }
}
